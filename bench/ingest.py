"""Central ingest: messages/s durably stored, side by side with mosquitto_sub on the same stream.

Broker, central (a real process), the load generator and mosquitto_sub share this machine.
Run: python -m bench.ingest. `run()` returns (figure, value, unit) rows for the runner.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import protocol
from harness.edgeproc import start_central, write_central_config
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for

HOUSES = 10
PER_HOUSE = 6000
METRICS = {"sys.uptime_s": 86400, "sys.load1": 0.31, "sys.cpu_temp_c": 51.2,
           "print.state": "idle", "print.pages.total": 1204, "wifi.clients": 9,
           "wifi.sessions.total": 5321, "outbox.rows": 0, "mqtt.connected": 1}


def stored(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM messages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def payload_file(work: Path, house: str) -> Path:
    """One JSON payload a line, for mosquitto_pub -l (a C load generator: Python's GIL
    would otherwise make the generator, not central, the bottleneck)."""
    path = work / f"{house}.jsonl"
    with open(path, "wb") as out:
        for seq in range(1, PER_HOUSE + 1):
            out.write(protocol.build_telemetry(protocol.Telemetry(
                house, "b" * 32, seq, 1_764_000_000_000 + seq * 1000, METRICS)) + b"\n")
    return path


def run() -> list[tuple[str, float, str]]:
    work = Path(tempfile.mkdtemp(prefix="ch-bench-ingest-"))
    broker = MosquittoBroker(work / "mosq", extra_conf="max_inflight_messages 1000\n").start()
    db = work / "central.sqlite"
    cfg = write_central_config(work / "central.toml", broker.port, db, free_port())
    central = start_central(cfg, work / "central.log")
    root = protocol.Topics()
    total = HOUSES * PER_HOUSE
    try:
        wait_for(lambda: db.exists() and "connected to broker" in central.output(), 30,
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
            if stored(db) >= total:
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
        central.stop()
        broker.stop()
    central_rate = total / central_s
    sub_rate = total / sub_s
    shutil.rmtree(work, ignore_errors=True)
    return [("messages", float(total), "msgs"),
            ("central stored", central_rate, "msgs/s"),
            ("mosquitto_sub received", sub_rate, "msgs/s"),
            ("ratio central / mosquitto_sub", central_rate / sub_rate, "")]


if __name__ == "__main__":
    for row in run():
        print(*row)
