"""Central ingest: messages/s durably stored, side by side with mosquitto_sub on the same stream.

Broker, central (real processes), the load generator and mosquitto_sub share this machine.
Three cases: SQLite with one collector; PostgreSQL with one collector, and with two
collectors sharing the stream (MQTT 5 shared subscription, a user name each).
Run: python -m bench.ingest. `run()` returns (figure, value, unit) rows for the runner.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import protocol
from harness.edgeproc import start_central, write_central_config
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for
from harness.readback import scalar

HOUSES = 10
PER_HOUSE = 6000
METRICS = {"sys.uptime_s": 86400, "sys.load1": 0.31, "sys.cpu_temp_c": 51.2,
           "print.state": "idle", "print.pages.total": 1204, "wifi.clients": 9,
           "wifi.sessions.total": 5321, "outbox.rows": 0, "mqtt.connected": 1}


def stored(location) -> int:
    return scalar(location, "SELECT count(*) FROM messages")


def payload_file(work: Path, house: str) -> Path:
    """One JSON payload a line, for mosquitto_pub -l (a C load generator: Python's GIL
    would otherwise make the generator, not central, the bottleneck)."""
    path = work / f"{house}.jsonl"
    with open(path, "wb") as out:
        for seq in range(1, PER_HOUSE + 1):
            out.write(protocol.build_telemetry(protocol.Telemetry(
                house, "b" * 32, seq, 1_764_000_000_000 + seq * 1000, METRICS)) + b"\n")
    return path


def measure(work: Path, location, collectors: int = 1) -> tuple[float, float]:
    """(central stored msg/s, mosquitto_sub msg/s) on one QoS 1 stream of HOUSES x PER_HOUSE
    messages; with several collectors they share it ($share) with a user name each."""
    broker = MosquittoBroker(work / "mosq", extra_conf="max_inflight_messages 1000\n").start()
    procs = []
    for i in range(collectors):
        shared = {"ingest": {"share_group": "bench"}} if collectors > 1 else {}
        cfg = write_central_config(work / f"central-{i}.toml", broker.port, location,
                                   free_port(), mqtt={"username": f"central-{i}"}, **shared)
        procs.append(start_central(cfg, work / f"central-{i}.log"))
    root = protocol.Topics()
    total = HOUSES * PER_HOUSE
    try:
        wait_for(lambda: all("connected to broker" in p.output() for p in procs), 60,
                 what="central connected")
        sub = subprocess.Popen([shutil.which("mosquitto_sub") or "mosquitto_sub", "-h",
                                "127.0.0.1", "-p", str(broker.port), "-q", "1", "-t",
                                f"{root.root}/+/telemetry", "-C", str(total)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let mosquitto_sub subscribe before the stream starts
        files = [payload_file(work, f"house-{i:02d}") for i in range(HOUSES)]
        pub = shutil.which("mosquitto_pub") or "mosquitto_pub"
        t0 = time.perf_counter()
        pubs = [subprocess.Popen([pub, "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                                  "-i", f"load-{f.stem}", "-t", root.telemetry(f.stem), "-l"],
                                 stdin=open(f, "rb"), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL) for f in files]
        sub_s = None
        while True:
            if sub_s is None and sub.poll() is not None:
                sub_s = time.perf_counter() - t0
            if stored(location) >= total:
                central_s = time.perf_counter() - t0
                break
            if time.perf_counter() - t0 > 110:
                central_s = float("nan")
                break
            time.sleep(0.2)
        if sub_s is None:
            sub.wait(30)
            sub_s = time.perf_counter() - t0
        for p in pubs:
            p.wait(30)
    finally:
        for p in procs:
            p.stop()
        broker.stop()
    return total / central_s, total / sub_s


def run() -> list[tuple[str, float, str]]:
    from harness.postgres import PostgresServer
    rows = [("messages per run", float(HOUSES * PER_HOUSE), "msgs")]
    cases = [("SQLite, 1 collector", None, 1), ("PostgreSQL, 1 collector", "pg", 1),
             ("PostgreSQL, 2 collectors ($share)", "pg", 2)]
    with PostgresServer(durable=True) as pg:
        for name, engine, collectors in cases:
            work = Path(tempfile.mkdtemp(prefix="ch-bench-ingest-"))
            location = pg.new_database("bench") if engine else work / "central.sqlite"
            central_rate, sub_rate = measure(work, location, collectors)
            rows += [(f"{name}: central stored", central_rate, "msgs/s"),
                     (f"{name}: mosquitto_sub received", sub_rate, "msgs/s"),
                     (f"{name}: ratio central / mosquitto_sub", central_rate / sub_rate, "")]
            shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for row in run():
        print(*row)
