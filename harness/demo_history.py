"""`make demo`'s made-up past: 30 days of plausible history for every house, so the 7- and
30-day charts show what they are for from the first minute.

Written through central's own write path (`Store.write_batch`), so the hourly and daily
roll-ups, HELP rows and Wi-Fi figures are exactly what real messages would have made.
Every seeded row is recognisable: outbox epoch and boot id "demo-history" (a real outbox
epoch is random); the store remembers the seeding (rollup_settings "demo_seed") and the
dashboard shows a "Dữ liệu mẫu" (sample data) banner while it is there.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import protocol
from central.queries import DEMO_SEED_KEY
from central.rollups import DEFAULT_TZ, remember_timezone
from central.store import Received, Store

SEED_EPOCH = SEED_BOOT = "demo-history"
SAMPLE_EVERY_MIN = 1  # one sample a minute: central counts online minutes from them
OPEN_HOURS = (7, 8, 9, 10, 13, 14, 15, 16, 19, 20)  # office hours and the evening club
BUSY_DAY = (1.0, 1.0, 1.0, 1.0, 1.1, 0.8, 0.5)  # Monday … Sunday
BATCH = 2000


@dataclass(frozen=True)
class Seeded:
    houses: int
    rows: int
    seconds: float


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class _House:
    """One house's invented days, as the rows its outbox would have sent, in order."""

    def __init__(self, house: str, rng: random.Random, tz: ZoneInfo):
        self.house, self.rng, self.tz = house, rng, tz
        self.size = rng.uniform(0.5, 1.6)  # a big commune's house is busier
        self.seq = self.job = self.request = 0
        self.rows: list[tuple[int, object]] = []

    def _row(self, ts: int, kind: str, body) -> None:
        self.rows.append((ts, kind, body))

    def event(self, ts: int, etype: str, data: dict) -> None:
        self._row(ts, "event", (etype, data))

    def day(self, day: date, now_ms: int) -> None:
        rng, busy = self.rng, BUSY_DAY[day.weekday()] * self.size
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        start_ms = int(midnight.timestamp() * 1000)
        unique = 0
        for minute in range(0, 24 * 60, SAMPLE_EVERY_MIN):
            hour = minute // 60
            if hour not in OPEN_HOURS:  # the house's power is off while it is closed
                continue
            clients = _poisson(rng, busy * 6)
            unique += _poisson(rng, clients / 6)
            self._row(start_ms + minute * 60_000, "telemetry", {
                "wifi.clients": clients, "wifi.unique.today": unique, "print.state": "idle",
                "print.reasons": [], "scan.state": "ready"})
        for hour in OPEN_HOURS:
            at = start_ms + hour * 3_600_000
            for _ in range(_poisson(rng, 1.6 * busy)):
                self._print(at + rng.randrange(3_300_000), rng.choice((1, 1, 2, 2, 3, 5, 8)))
            for _ in range(_poisson(rng, 0.6 * busy)):
                self._scan(at + rng.randrange(3_300_000))
            for _ in range(_poisson(rng, 0.4 * busy)):
                self.event(at + rng.randrange(3_500_000), "copy.completed",
                           {"pages": rng.choice((1, 1, 2, 4)), "copy_id": f"demo{len(self.rows)}"})
        if rng.random() < 0.35 * busy:
            self._help(start_ms + rng.choice(OPEN_HOURS) * 3_600_000 + rng.randrange(3_000_000))
        end_ms = start_ms + 86_400_000
        if end_ms < now_ms:  # the edge reports a finished day's Wi-Fi figures after midnight
            self.event(end_ms + 300_000, "wifi.daily", self._wifi_day(day, unique))
        self.rows = [r for r in self.rows if r[0] < now_ms]

    def _print(self, ts: int, pages: int) -> None:
        self.job += 1
        self.event(ts, "print.job_held", {"job": self.job})
        self.event(ts + 60_000, "print.job_released", {"job": self.job, "by": "button"})
        self.event(ts + 60_000 + pages * 4_000, "print.job_completed",
                   {"job": self.job, "pages": pages})

    def _scan(self, ts: int) -> None:
        pages, seconds = self.rng.choice((1, 1, 2, 3)), self.rng.uniform(15, 60)
        common = {"purpose": self.rng.choice(("document", "copy")), "preset": "a4"}
        self.event(ts, "scan.started", {**common, "waited": round(self.rng.uniform(0, 30), 1)})
        self.event(ts + int(seconds * 1000), "scan.completed",
                   {**common, "pages": pages, "bytes": pages * 180_000,
                    "seconds": round(seconds, 1)})

    def _help(self, ts: int) -> None:
        self.request += 1
        open_s = self.rng.randrange(60, 900)
        self.event(ts, "help.requested", {"request": self.request})
        self.event(ts + open_s * 1000, "help.closed", {"request": self.request, "reason": "press",
                                                       "acknowledged": True, "open_s": open_s})

    def _wifi_day(self, day: date, unique: int) -> dict:
        rng = self.rng
        sessions = unique + _poisson(rng, unique / 2)
        return {"day": day.isoformat(), "tz": self.tz.key, "unique_devices": unique,
                "engaged_devices": unique * 2 // 3, "new_devices": unique // 3,
                "returning_devices": unique - unique // 3, "sessions": sessions,
                "bounces": sessions // 5, "dwell_p50_s": rng.randrange(600, 2400),
                "dwell_p90_s": rng.randrange(3600, 7200), "dwell_hist": {},
                "network_seconds": sessions * 1500, "peak_hour": 19,
                "peak_concurrent": max(1, unique // 3), "randomized_share": 0.6,
                "infrastructure_devices": 1, "bytes_up": sessions * 4_000_000,
                "bytes_down": sessions * 40_000_000}

    def messages(self) -> list[Received]:
        """The rows as the store receives them: numbered in time order, arriving at once."""
        out = []
        for seq, (ts, kind, body) in enumerate(sorted(self.rows, key=lambda r: r[0]), 1):
            if kind == "telemetry":
                msg = protocol.Telemetry(self.house, SEED_BOOT, seq, ts, body, epoch=SEED_EPOCH)
            else:
                msg = protocol.Event(self.house, SEED_BOOT, seq, ts, body[0], body[1],
                                     epoch=SEED_EPOCH)
            out.append(Received(msg, ts))
        return out


def history(houses: list[str], now_ms: int, days: int = 30, tz_name: str = DEFAULT_TZ,
            seed: int = 11) -> list[Received]:
    """`days` days before now (and today so far) of every house, oldest first per house."""
    tz = ZoneInfo(tz_name)
    today = datetime.fromtimestamp(now_ms / 1000, tz).date()
    out = []
    for n, house in enumerate(houses):
        made = _House(house, random.Random(seed * 1000 + n), tz)
        for back in range(days, -1, -1):
            made.day(today - timedelta(days=back), now_ms)
        out += made.messages()
    return out


def seed_history(db_path: str | Path, houses: list[str], now_ms: int | None = None,
                 days: int = 30, tz_name: str = DEFAULT_TZ) -> Seeded:
    """Write the made-up history into central's database (before central starts)."""
    began = time.monotonic()
    now_ms = now_ms or int(time.time() * 1000)
    rows = history(houses, now_ms, days, tz_name)
    store = Store(db_path)
    try:
        remember_timezone(store.db, tz_name)
        for i in range(0, len(rows), BATCH):
            store.write_batch(rows[i:i + BATCH])
        store.db.execute(
            "INSERT INTO rollup_settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (DEMO_SEED_KEY, f"{days} days for {len(houses)} houses, epoch {SEED_EPOCH}"))
    finally:
        store.close()
    return Seeded(len(houses), len(rows), time.monotonic() - began)
