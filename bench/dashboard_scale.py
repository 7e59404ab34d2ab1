"""The dashboard at province scale: /api/houses computed fresh (no shared answer) with 10,000
houses and 30 days of data, on PostgreSQL and on SQLite (issue 13; target p95 <= 100 ms).

The database is seeded directly (COPY on PostgreSQL, executemany on SQLite) with what 30
days of ingest leave: 12 messages per house per day (4 telemetry samples, 8 events), the
daily figures, the last day's hourly ones, status changes (2 % of houses came back from an
outage in the last day, 3 % are offline), open HELP for 1 %. A real Central (collector,
alerts, web) then answers logged-in HTTP requests.
Run: python -m bench.dashboard_scale [houses] [days]   (defaults 10000 houses, 30 days)
"""
from __future__ import annotations

import http.cookiejar
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from central import auth
from central import config as central_config
from central.app import Central
from central.database import connect
from central.store import Store
from harness.edgeproc import write_central_config
from harness.mosquitto import MosquittoBroker
from harness.postgres import PostgresServer
from harness.procs import free_port, wait_for

DAY, HOUR = 86_400_000, 3_600_000
REQUESTS = 60
TZ = timezone(timedelta(hours=7))
METRICS = {"sys.uptime_s": 86400, "sys.load1": 0.31, "sys.disk_free_pct": 61.5,
           "print.state": "idle", "print.reasons": [], "print.queue.held": 0,
           "print.queue.pending": 0, "scan.state": "ready", "scan.queue": 0, "wifi.clients": 9,
           "outbox.rows": 0, "print.pages.total": 1204, "mqtt.connected": 1}
EVENTS = [("print.job_completed", '{"job": 1, "pages": 3}'), ("scan.completed", '{"pages": 2}'),
          ("copy.completed", '{"pages": 1}'), ("print.job_completed", '{"job": 2, "pages": 1}')]
TABLES = {
    "houses": "house, first_seen, last_seen, online, reason, boot, status_ts, version, metrics, "
              "metrics_ts, acked_seq, epoch",
    "messages": "house, epoch, seq, kind, boot, ts, recv_ts, tq, mono, type, body, upto",
    "rollup_daily": "house, metric, day, value",
    "rollup_hourly": "house, metric, hour, value",
    "status_log": "house, boot, online, reason, ts, recv_ts",
    "help_requests": "house, epoch, seq, ts, recv_ts, request, acked_ts, acked_by",
    "watermarks": "house, epoch, acked_seq",
}


def day_of(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1000, TZ).date().isoformat()


def rows(table: str, houses: int, days: int, now: int):
    """The seed rows of one table, generated house by house (never all in memory)."""
    start = now - days * DAY
    for h in range(houses):
        rnd = random.Random(h)
        house, per_day = f"house-{h:05d}", 12
        last = days * per_day
        if table == "houses":
            online = h % 33 != 0
            yield (house, start, now - rnd.randrange(60_000), int(online),
                   "" if online else "lost", "boot", start, "0.1.0",
                   json.dumps({**METRICS, "wifi.clients": rnd.randrange(15)}), now - 30_000,
                   last, "")
        elif table == "watermarks":
            yield (house, "", last)
        elif table == "messages":
            body = json.dumps(METRICS)
            for d in range(days):
                for i in range(per_day):
                    seq, ts = d * per_day + i + 1, start + d * DAY + i * (DAY // per_day)
                    if i % 3 == 0:
                        yield (house, "", seq, "telemetry", "boot", ts, ts, "ntp", None, None,
                               body, None)
                    else:
                        type_, data = EVENTS[(seq + h) % len(EVENTS)]
                        yield (house, "", seq, "event", "boot", ts, ts, "ntp", None, type_,
                               data, None)
        elif table == "rollup_daily":
            for d in range(days + 1):
                day = day_of(start + d * DAY)
                for metric, value in (("print.pages", rnd.randrange(40)),
                                      ("print.jobs", rnd.randrange(15)),
                                      ("scan.jobs", rnd.randrange(8)),
                                      ("copy.jobs", rnd.randrange(5)),
                                      ("wifi.clients", rnd.randrange(20)),
                                      ("wifi.unique_live", rnd.randrange(30)),
                                      ("online.minutes", 1440 - rnd.randrange(60))):
                    yield (house, metric, day, value)
        elif table == "rollup_hourly":
            for hour in range((now - DAY) // HOUR, now // HOUR + 1):
                yield (house, "online.minutes", hour, 60)
                yield (house, "online.mask", hour, (1 << 60) - 1)
                yield (house, "wifi.clients", hour, rnd.randrange(20))
        elif table == "status_log":
            yield (house, "boot", 1, "", start, start)
            if h % 50 == 7:  # away for a while in the last day, back since
                yield (house, "boot", 0, "lost", now - 5 * HOUR, now - 5 * HOUR)
                yield (house, "boot", 1, "", now - 4 * HOUR, now - 4 * HOUR)
            elif h % 33 == 0:
                yield (house, "boot", 0, "lost", now - 2 * HOUR, now - 2 * HOUR)
        elif table == "help_requests" and h % 100 == 3:
            yield (house, "", last - 1, now - 600_000, now - 600_000, 1, None, None)


def seed(location, houses: int, days: int, now: int) -> tuple[int, float]:
    """Fill a migrated database; returns (rows, seconds)."""
    Store(location).close()  # migrations (and partitions on PostgreSQL)
    db, total = connect(location), 0
    t = time.perf_counter()
    for table, columns in TABLES.items():
        if getattr(db, "dialect", "sqlite") == "postgres":
            with db.raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                for row in rows(table, houses, days, now):
                    cp.write_row(row)
                    total += 1
        else:
            marks = ", ".join(["?"] * len(columns.split(",")))
            db.execute("BEGIN")
            cur = db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                                 rows(table, houses, days, now))
            total += cur.rowcount
            db.execute("COMMIT")
    db.execute("ANALYZE")  # what autovacuum does by itself after a load this size
    db.execute("INSERT INTO rollup_settings VALUES ('timezone', 'Asia/Ho_Chi_Minh')")
    db.close()
    return total, time.perf_counter() - t


def timed(opener, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        with opener.open(url, timeout=120) as resp:
            resp.read()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def measure(root: Path, location, name: str) -> list[tuple[str, float, str]]:
    out = []
    with MosquittoBroker(root / f"mqtt-{name}") as broker:
        users = {"bench": {"role": "viewer", "password_hash": auth.hash_password("bench-pass")}}
        cfg = write_central_config(root / f"central-{name}.toml", broker.port, location,
                                   free_port(), users=users, alerts={"interval": "1h"})
        app = Central(central_config.load(cfg))
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        wait_for(lambda: app.monitor._published is not None, 300, interval=0.2,
                 what="central's first alert evaluation over")
        t = time.perf_counter()
        app.monitor.evaluate(int(time.time() * 1000))
        out.append((f"{name}: alert evaluation, all houses", (time.perf_counter() - t) * 1000,
                    "ms"))
        base = f"http://127.0.0.1:{app.web.port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        opener.open(base + "/login", data=b"user=bench&password=bench-pass").read()
        app.web.cache_s = 0.0  # computed fresh for every request
        timed(opener, base + "/api/houses", 3)
        values = timed(opener, base + "/api/houses", REQUESTS)
        out.append((f"{name}: /api/houses computed p50", statistics.median(values), "ms"))
        out.append((f"{name}: /api/houses computed p95", p95(values), "ms"))
        values = timed(opener, base + "/api/houses/house-00007", 30)
        out.append((f"{name}: /api/houses/{{house}} p95", p95(values), "ms"))
        app.request_stop("bench over")
        thread.join(30)
    return out


def run(houses: int = 10_000, days: int = 30) -> list[tuple[str, float, str]]:
    root = Path(tempfile.mkdtemp(prefix="ch-bench-scale-"))
    now = int(time.time() * 1000)
    results: list[tuple[str, float, str]] = [("houses", houses, "houses"), ("days", days, "days")]
    try:
        with PostgresServer(durable=True) as pg:
            pg.admin("CREATE DATABASE scale")
            total, seconds = seed(pg.url("scale"), houses, days, now)
            results += [("PostgreSQL: rows seeded with COPY", total, "rows"),
                        ("PostgreSQL: COPY seeding", total / seconds, "rows/s")]
            results += measure(root, pg.url("scale"), "PostgreSQL")
        total, seconds = seed(root / "scale.sqlite", houses, days, now)
        results += [("SQLite: rows seeded with executemany", total, "rows"),
                    ("SQLite: executemany seeding", total / seconds, "rows/s")]
        results += measure(root, root / "scale.sqlite", "SQLite")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    for figure, value, unit in run(*args):
        print(f"{figure:45s} {value:14,.1f} {unit}")
