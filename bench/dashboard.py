"""Dashboard and API latency with many houses and weeks of data (issue 7 benchmark).

Fills a real store through the ingest path (Store.write_batch, rollups included), runs
a real Central against a private mosquitto, and times logged-in HTTP requests.
Run: python -m bench.dashboard [houses] [days]   (defaults 1000 houses, 30 days)
"""
from __future__ import annotations

import http.cookiejar
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from central import auth, rollups
from central import config as central_config
from central.app import Central
from central.store import Received, Store
import protocol
from harness.edgeproc import write_central_config
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for

EVENTS_PER_DAY = 8  # print, scan, copy and help events per house per day
SAMPLES_PER_DAY = 4  # telemetry samples kept per house per day (a real house sends 1440)
REQUESTS = 100


def fill(store: Store, houses: int, days: int, now_ms: int) -> int:
    rnd = random.Random(7)
    types = [("print.job_completed", {"pages": 3}), ("scan.completed", {"pages": 2}),
             ("copy.completed", {"pages": 1}), ("help.requested", {})]
    total, batch = 0, []
    start = now_ms - days * 86_400_000
    for h in range(houses):
        house, seq = f"house-{h:04d}", 0
        batch.append(Received(protocol.Status(house, True, "boot", start, "0.1.0"), start))
        for d in range(days):
            day0 = start + d * 86_400_000
            for i in range(SAMPLES_PER_DAY):
                seq += 1
                ts = day0 + i * 86_400_000 // SAMPLES_PER_DAY
                batch.append(Received(protocol.Telemetry(house, "boot", seq, ts, {
                    "sys.uptime_s": 3600, "sys.disk_free_pct": 60.0, "outbox.rows": 0,
                    "print.state": "idle", "print.reasons": [], "scan.state": "ready",
                    "wifi.clients": rnd.randint(0, 12), "print.jobs.total": seq}), ts))
            for _ in range(EVENTS_PER_DAY):
                seq += 1
                ts = day0 + rnd.randrange(86_400_000)
                type_, data = rnd.choice(types)
                batch.append(Received(protocol.Event(house, "boot", seq, ts, type_, data), ts))
        if len(batch) > 5000:
            store.write_batch(batch)
            total += len(batch)
            batch = []
    store.write_batch(batch)
    return total + len(batch)


def timed(opener, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        with opener.open(url, timeout=60) as resp:
            resp.read()
            assert resp.status == 200, url
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def run(houses: int = 1000, days: int = 30) -> list[tuple[str, float, str]]:
    root = Path(tempfile.mkdtemp(prefix="ch-bench-dash-"))
    results: list[tuple[str, float, str]] = []
    try:
        db_path = root / "central.sqlite"
        store = Store(db_path)
        rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
        t = time.perf_counter()
        rows = fill(store, houses, days, int(time.time() * 1000))
        fill_s = time.perf_counter() - t
        store.close()
        results += [("houses", houses, "houses"), ("days", days, "days"),
                    ("messages stored", rows, "rows"),
                    ("ingest with rollups", rows / fill_s, "msg/s")]
        with MosquittoBroker(root / "mqtt") as broker:
            users = {"bench": {"role": "viewer", "password_hash": auth.hash_password("bench-pass")}}
            cfg = write_central_config(root / "central.toml", broker.port, db_path, free_port(),
                                       users=users)
            app = Central(central_config.load(cfg))
            thread = threading.Thread(target=app.run, daemon=True)
            thread.start()
            wait_for(lambda: app.collector.connected, 10, what="central connected")
            base = f"http://127.0.0.1:{app.web.port}"
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            opener.open(base + "/login", data=b"user=bench&password=bench-pass").read()
            today = date.today()
            month = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
            t = time.perf_counter()
            app.monitor.evaluate(int(time.time() * 1000))
            results.append(("alert evaluation, all houses", (time.perf_counter() - t) * 1000, "ms"))
            app.web.cache_s = 0.0  # first what each answer costs to compute
            values = timed(opener, base + "/api/houses", REQUESTS)
            results.append(("/api/houses computed p50", statistics.median(values), "ms"))
            results.append(("/api/houses computed p95", p95(values), "ms"))
            app.web.cache_s = 1.0  # as served: one answer shared for 1 s by every open page
            for name, path, n in [("overview page /", "/", REQUESTS),
                                  ("/api/houses served (1 s shared)", "/api/houses", REQUESTS),
                                  ("/api/houses/{house}", "/api/houses/house-0001", REQUESTS),
                                  ("house page with 8 charts", "/houses/house-0001", 30),
                                  ("/metrics", "/metrics", 20),
                                  ("report.csv, 30 days, all houses", f"/api/report.csv?{month}",
                                   3)]:
                timed(opener, base + path, 2)  # warm caches
                values = timed(opener, base + path, n)
                results.append((f"{name} p50", statistics.median(values), "ms"))
                results.append((f"{name} p95", p95(values), "ms"))
            app.request_stop("bench over")
            thread.join(10)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(f"dashboard benchmark: {EVENTS_PER_DAY} events and {SAMPLES_PER_DAY} telemetry samples "
          "per house per day; target p95 <= 100 ms for / and /api/houses")
    for name, value, unit in run(*args):
        print(f"{name:45s} {value:12.1f} {unit}")
