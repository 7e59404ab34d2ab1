"""Backlog replay: 10 houses x 24 h of minute samples, from reconnect until all is acknowledged.

Real edge and central processes and a real mosquitto on this machine; the outboxes are
filled beforehand as a day-long outage would leave them. Run: python -m bench.backlog.
"""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from edge.outbox import Outbox
from harness.edgeproc import (start_central, start_edge, write_central_config,
                                    write_edge_config)
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for

HOUSES = 10
ROWS = 24 * 60
METRICS = {"sys.uptime_s": 86400, "sys.load1": 0.31, "sys.cpu_temp_c": 51.2,
           "sys.mem_available_mb": 612, "sys.disk_free_mb": 20480, "print.state": "idle",
           "print.pages.total": 1204, "print.jobs.total": 310, "scan.state": "idle",
           "scan.jobs.total": 233, "wifi.clients": 9, "wifi.sessions.total": 5321,
           "outbox.rows": 0, "mqtt.connected": 0}


def prefill(state: Path) -> None:
    box = Outbox(state / "outbox.sqlite")
    for i in range(ROWS):
        box.append("telemetry", "day-boot", 1_764_000_000_000 + i * 60_000,
                   {**METRICS, "sys.uptime_s": 86400 + i * 60, "outbox.rows": i})
    box.close()


def acked(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return dict(con.execute("SELECT house, acked_seq FROM houses"))
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def check(db: Path) -> tuple[int, int]:
    """(missing, duplicated) seqs 1..ROWS over all houses."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    missing = dupes = 0
    for h in range(HOUSES):
        seqs = [s for (s,) in con.execute("SELECT seq FROM messages WHERE house = ? AND seq <= ?",
                                          (f"house-{h:02d}", ROWS))]
        missing += ROWS - len(set(seqs))
        dupes += len(seqs) - len(set(seqs))
    con.close()
    return missing, dupes


def run() -> list[tuple[str, float, str]]:
    work = Path(tempfile.mkdtemp(prefix="ch-bench-backlog-"))
    broker = MosquittoBroker(work / "mosq").start()
    db = work / "central.sqlite"
    central = start_central(write_central_config(work / "central.toml", broker.port, db,
                                                 free_port()), work / "central.log")
    edges = []
    try:
        wait_for(lambda: "connected to broker" in central.output(), 30, what="central up")
        for h in range(HOUSES):
            state = work / f"state-{h}"
            prefill(state)
            cfg = write_edge_config(work / f"house-{h:02d}.toml", f"house-{h:02d}", broker.port,
                                    state, telemetry={"interval": "60s"},
                                    mqtt={"reconnect_max": "30s"})
            edges.append(start_edge(cfg, work / f"house-{h:02d}.log"))
        t0 = time.perf_counter()
        wait_for(lambda: sum(1 for e in edges if "connected to broker" in e.output()) == HOUSES,
                 60, interval=0.1, what="every house connected")
        connected_s = time.perf_counter() - t0
        wait_for(lambda: len(acked(db)) == HOUSES and min(acked(db).values()) >= ROWS, 110,
                 interval=0.1, what="every backlog acknowledged")
        total_s = time.perf_counter() - t0
        missing, dupes = check(db)
    finally:
        for e in edges:
            e.stop()
        central.stop()
        broker.stop()
    shutil.rmtree(work, ignore_errors=True)
    return [("rows replayed", float(HOUSES * ROWS), "rows"),
            ("start to last house connected (random first delay <= 30 s)", connected_s, "s"),
            ("start to everything acknowledged", total_s, "s"),
            ("replay after the last connection", total_s - connected_s, "s"),
            ("missing", float(missing), "rows"), ("duplicated", float(dupes), "rows")]


if __name__ == "__main__":
    for row in run():
        print(*row)
