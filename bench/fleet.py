"""A fleet at once: 10,000 simulated houses connecting in the same moment, and 1,000 houses
replaying a day's backlog each, into a real mosquitto and a real central process. The
simulated houses publish their backlog as fast as the broker takes it (a real edge paces
itself to central's max_backlog_rate), so the replay figure is a worst case for central.

Central stores on PostgreSQL (a private, durable server). Figures: time until central shows
every house online, broker and central memory (RSS) with
every house connected; time until central has acknowledged every backlog row after the last
house connected, and rows/s stored. Run: python -m bench.fleet
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from harness.edgeproc import start_central, write_central_config
from harness.mosquitto import MosquittoBroker
from harness.postgres import PostgresServer
from harness.procs import free_port, wait_for
from harness.readback import scalar

from ._houses import SimulatedHouses, raise_open_files

STORM_HOUSES = 10_000
REPLAY_HOUSES = 1_000
REPLAY_ROWS = 24 * 60
METRICS = {"sys.load1": 0.31, "sys.cpu_temp_c": 51.2, "print.state": "idle",
           "print.pages.total": 1204, "wifi.clients": 9, "outbox.rows": 0}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def setup(work: Path, pg: PostgresServer):
    raise_open_files(65536)  # inherited by the broker: one descriptor per house
    broker = MosquittoBroker(work / "mosq", extra_conf="max_inflight_messages 1000\n").start()
    db = pg.new_database("fleet")
    cfg = write_central_config(work / "central.toml", broker.port, db, free_port())
    central = start_central(cfg, work / "central.log")
    wait_for(lambda: "connected to broker" in central.output(), 30, what="central connected")
    return broker, central, db


def storm(pg: PostgresServer) -> list[tuple[str, float, str]]:
    work = Path(tempfile.mkdtemp(prefix="ch-bench-storm-"))
    broker, central, db = setup(work, pg)
    houses = SimulatedHouses(broker.port, STORM_HOUSES, workers=4)
    try:
        t0 = time.time()
        houses.start()
        connected_at, acked_at = houses.wait(600)
        wait_for(lambda: scalar(db, "SELECT count(*) FROM houses WHERE online = 1")
                 >= STORM_HOUSES, 600, interval=0.5, what="every house online at central")
        online_s = time.time() - t0
        broker_mb, central_mb = rss_mb(broker.proc.pid), rss_mb(central.pid)
    finally:
        houses.stop()
        central.stop()
        broker.stop()
    shutil.rmtree(work, ignore_errors=True)
    return [(f"{STORM_HOUSES:,} houses: all connected to the broker", connected_at - t0, "s"),
            (f"{STORM_HOUSES:,} houses: all statuses acknowledged by the broker",
             acked_at - t0, "s"),
            (f"{STORM_HOUSES:,} houses: all online at central", online_s, "s"),
            (f"{STORM_HOUSES:,} houses: broker memory (RSS)", broker_mb, "MB"),
            (f"{STORM_HOUSES:,} houses: central memory (RSS)", central_mb, "MB")]


def replay(pg: PostgresServer) -> list[tuple[str, float, str]]:
    work = Path(tempfile.mkdtemp(prefix="ch-bench-replay-"))
    broker, central, db = setup(work, pg)
    houses = SimulatedHouses(broker.port, REPLAY_HOUSES, workers=4, rows=REPLAY_ROWS,
                             metrics=METRICS)
    total = REPLAY_HOUSES * REPLAY_ROWS
    try:
        t0 = time.time()
        houses.start()
        connected, _ = houses.wait(600)
        wait_for(lambda: scalar(db, f"SELECT count(*) FROM houses WHERE acked_seq >= "
                                   f"{REPLAY_ROWS}") >= REPLAY_HOUSES, 900, interval=0.5,
                 what="every backlog acknowledged")
        done = time.time()
        stored = scalar(db, "SELECT count(*) FROM messages")
    finally:
        houses.stop()
        central.stop()
        broker.stop()
    shutil.rmtree(work, ignore_errors=True)
    return [(f"{REPLAY_HOUSES:,} houses x 24 h backlog: rows", float(total), "rows"),
            ("backlog: start to last house connected", connected - t0, "s"),
            ("backlog: last house connected to everything acknowledged by central",
             done - connected, "s"),
            ("backlog: rows stored per second", stored / (done - t0), "rows/s"),
            ("backlog: rows stored vs sent", stored / total, "")]


def run() -> list[tuple[str, float, str]]:
    with PostgresServer(durable=True) as pg:  # the store a fleet this size would use
        return storm(pg) + replay(pg)


if __name__ == "__main__":
    for row in run():
        print(*row)
