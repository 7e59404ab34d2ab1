"""Central's write path on SQLite and PostgreSQL: messages per second through Store.write_batch
(the collector's own call: idempotent inserts, watermarks, roll-ups), and PostgreSQL's raw
insert methods for the messages table side by side.

Both engines durable as in production (SQLite WAL + synchronous NORMAL; PostgreSQL with
fsync). Run: python -m bench.storage [houses] [minutes]   (defaults 200 houses, 30 minutes)
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import protocol
from central import rollups
from central.database import insert_messages
from central.store import Received, Store
from harness.postgres import PostgresServer

BATCH = 500  # the collector's default batch_size
METRICS = {"sys.uptime_s": 86400, "sys.load1": 0.31, "sys.cpu_temp_c": 51.2,
           "sys.mem_available_mb": 612, "sys.disk_free_mb": 20480, "print.state": "idle",
           "print.pages.total": 1204, "print.jobs.total": 310, "scan.state": "idle",
           "scan.jobs.total": 233, "wifi.clients": 9, "wifi.sessions.total": 5321,
           "outbox.rows": 0, "mqtt.connected": 1}


def stream(houses: int, minutes: int, start_ms: int) -> list[Received]:
    """Minute telemetry from every house, a print job every ten minutes, in arrival order."""
    out = []
    for m in range(minutes):
        ts = start_ms + m * 60_000
        for h in range(houses):
            house, seq = f"house-{h:04d}", m * 2 + 1
            out.append(Received(protocol.Telemetry(house, "boot", seq, ts,
                                                   {**METRICS, "sys.uptime_s": 86400 + m * 60}),
                                ts))
            kind = "print.job_completed" if m % 10 == h % 10 else "scan.completed"
            out.append(Received(protocol.Event(house, "boot", seq + 1, ts + 1, kind,
                                               {"job": m, "pages": 2}), ts))
    return out


def write_path(location, messages: list[Received]) -> float:
    """msg/s through Store.write_batch, batches of BATCH, then the same again as a replay."""
    store = Store(location)
    rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
    t = time.perf_counter()
    for i in range(0, len(messages), BATCH):
        store.write_batch(messages[i:i + BATCH])
    rate = len(messages) / (time.perf_counter() - t)
    store.close()
    return rate


COLUMNS = "house, epoch, seq, kind, boot, ts, recv_ts, tq, mono, type, body, upto"


def raw_rows(n: int, start_ms: int) -> list[tuple]:
    body = '{"sys.uptime_s": 1, "wifi.clients": 3}'
    return [(f"house-{i % 1000:04d}", "", i // 1000 + 1, "telemetry", "boot",
             start_ms + i, start_ms + i, "ntp", None, None, body, None) for i in range(n)]


def pg_methods(url: str, rows: list[tuple]) -> list[tuple[str, float, str]]:
    """rows/s into `messages` (idempotent on its key) by three methods, 5,000 per transaction."""
    from central.database import connect
    db = connect(url)
    con, out, chunk = db.raw, [], 5000
    place = ", ".join(["%s"] * 12)

    def clear():
        con.execute("TRUNCATE messages")

    clear()
    t = time.perf_counter()
    for i in range(0, len(rows), chunk):
        with con.transaction():
            for row in rows[i:i + chunk]:
                con.execute(f"INSERT INTO messages ({COLUMNS}) VALUES ({place}) "
                            "ON CONFLICT DO NOTHING", row)
    out.append(("PostgreSQL row by row, one transaction per 5,000",
                len(rows) / (time.perf_counter() - t), "rows/s"))
    clear()
    t = time.perf_counter()
    for i in range(0, len(rows), chunk):
        with con.transaction(), con.cursor() as cur:
            cur.executemany(f"INSERT INTO messages ({COLUMNS}) VALUES ({place}) "
                            "ON CONFLICT DO NOTHING", rows[i:i + chunk])
    out.append(("PostgreSQL executemany (pipelined), per 5,000",
                len(rows) / (time.perf_counter() - t), "rows/s"))
    clear()
    t = time.perf_counter()
    for i in range(0, len(rows), chunk):
        with con.transaction(), con.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS staging (LIKE messages) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY staging ({COLUMNS}) FROM STDIN") as copy:
                for row in rows[i:i + chunk]:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO messages ({COLUMNS}) SELECT {COLUMNS} FROM staging "
                        "ON CONFLICT DO NOTHING")
    out.append(("PostgreSQL COPY to staging + INSERT ON CONFLICT, per 5,000",
                len(rows) / (time.perf_counter() - t), "rows/s"))
    clear()
    t = time.perf_counter()
    for i in range(0, len(rows), chunk):  # what Store.write_batch does, 500 rows a statement
        with con.transaction():
            for j in range(i, i + chunk, 500):
                sql, params = insert_messages("postgres", [x for row in rows[j:j + 500] for x in row])
                db.execute(sql, params).fetchall()
    out.append(("PostgreSQL INSERT ... SELECT FROM unnest(arrays) RETURNING, per 500",
                len(rows) / (time.perf_counter() - t), "rows/s"))
    db.close()
    return out


def run(houses: int = 200, minutes: int = 30) -> list[tuple[str, float, str]]:
    root = Path(tempfile.mkdtemp(prefix="ch-bench-storage-"))
    start = int(time.time() * 1000) - minutes * 60_000
    messages = stream(houses, minutes, start)
    results: list[tuple[str, float, str]] = [("messages per run", len(messages), "msg")]
    try:
        results.append(("SQLite: Store.write_batch", write_path(root / "c.sqlite", messages),
                        "msg/s"))
        with PostgresServer(durable=True) as pg:
            pg.admin("CREATE DATABASE bench")
            results.append(("PostgreSQL: Store.write_batch",
                            write_path(pg.url("bench"), messages), "msg/s"))
            pg.admin("CREATE DATABASE methods")
            results += pg_methods(pg.url("methods"), raw_rows(50_000, start))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    for name, value, unit in run(*args):
        print(f"{name:60s} {value:12.1f} {unit}")
