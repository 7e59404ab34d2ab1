"""Derived tables kept up to date at ingest: hourly and daily figures for charts and reports.

`apply_rollups` runs inside the store's write transaction for every batch. The wire names
read here come from the vocabulary (protocol/words.py), looked up at import: a name dropped
from it stops central at start-up instead of silently emptying a figure. The names of the
figures central derives (ROLLUP_*) are its own, declared here once.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from protocol import ROLLUP_SERIES
from protocol.vocabulary import EVENTS, METRICS, value_problem

from .database import dialect, upsert_figures

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

WIFI_CLIENTS = METRICS["wifi.clients"].name
ROLLUP_SAMPLES = METRICS["rollup.samples"].name
WIFI_UNIQUE_TODAY = METRICS["wifi.unique.today"].name
PRINT_COMPLETED = EVENTS["print.job_completed"].type
PRINT_FAILED = EVENTS["print.job_failed"].type
COPY_COMPLETED = EVENTS["copy.completed"].type
SCAN_COMPLETED = EVENTS["scan.completed"].type
SCAN_FAILED = EVENTS["scan.failed"].type
HELP_REQUESTED = EVENTS["help.requested"].type
HELP_ACKNOWLEDGED = EVENTS["help.acknowledged"].type
HELP_CLOSED = EVENTS["help.closed"].type
WIFI_DAILY = EVENTS["wifi.daily"].type

# Figures central derives (the `metric` column of rollup_hourly and rollup_daily).
PRINT_JOBS, PRINT_PAGES, PRINT_FAILS = "print.jobs", "print.pages", "print.failed"
COPY_JOBS, COPY_PAGES = "copy.jobs", "copy.pages"
SCAN_JOBS, SCAN_PAGES, SCAN_FAILS = "scan.jobs", "scan.pages", "scan.failed"
HELP_REQUESTS = "help.requests"
WIFI_PEAK = WIFI_CLIENTS  # the most clients seen in the hour or day
WIFI_UNIQUE_LIVE = "wifi.unique_live"  # the largest live count of the day
WIFI_UNIQUE, WIFI_SESSIONS, WIFI_DWELL_P50 = "wifi.unique", "wifi.sessions", "wifi.dwell_p50_s"
ONLINE_MINUTES, ONLINE_MASK = "online.minutes", "online.mask"

# event type -> [(rollup metric, data key or None for a count)]; all summed per hour and day.
EVENT_SUMS = {
    PRINT_COMPLETED: [(PRINT_JOBS, None), (PRINT_PAGES, "pages")],
    PRINT_FAILED: [(PRINT_FAILS, None)],
    COPY_COMPLETED: [(COPY_JOBS, None), (COPY_PAGES, "pages")],
    SCAN_COMPLETED: [(SCAN_JOBS, None), (SCAN_PAGES, "pages")],
    SCAN_FAILED: [(SCAN_FAILS, None)],
    HELP_REQUESTED: [(HELP_REQUESTS, None)],
}
# wifi.daily data key -> daily rollup metric (the edge's own figures for one local day).
WIFI_DAILY_KEYS = {"unique_devices": WIFI_UNIQUE, "sessions": WIFI_SESSIONS,
                   "dwell_p50_s": WIFI_DWELL_P50}
SERIES_METRICS = (PRINT_PAGES, PRINT_JOBS, COPY_JOBS, COPY_PAGES, SCAN_JOBS, SCAN_PAGES,
                  HELP_REQUESTS, WIFI_PEAK, ONLINE_MINUTES)

# Central's store creates these tables in its migrations (central/schema.py MIGRATIONS;
# step 2 rebuilds help_requests keyed by (house, epoch, seq)).
SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup_hourly (
    house TEXT NOT NULL, metric TEXT NOT NULL, hour INTEGER NOT NULL, value,
    PRIMARY KEY (house, metric, hour)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_daily (
    house TEXT NOT NULL, metric TEXT NOT NULL, day TEXT NOT NULL, value,
    PRIMARY KEY (house, metric, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollup_daily_of_day ON rollup_daily (day, house, metric, value);
CREATE TABLE IF NOT EXISTS help_requests (
    house TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, recv_ts INTEGER NOT NULL,
    request INTEGER, acked_ts INTEGER, acked_by TEXT, PRIMARY KEY (house, seq));
CREATE INDEX IF NOT EXISTS help_open ON help_requests (acked_ts, ts);
CREATE TABLE IF NOT EXISTS rollup_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_UPSERT = {  # {t}: the table (PostgreSQL needs the stored row's columns qualified)
    "sum": "value = {t}.value + excluded.value",
    "max": "value = max({t}.value, excluded.value)",
    "last": "value = excluded.value",
    "or": "value = {t}.value | excluded.value",
}


@dataclass(frozen=True)
class NewRow:
    """A message the store has just stored for the first time, as stored (ts maybe re-timed)."""

    message: Any  # protocol.Telemetry or protocol.Event
    recv_ts: int
    ts: int
    tq: str


def remember_timezone(db, tz_name: str | None) -> None:
    """Remember the local time zone days are counted in."""
    if tz_name:
        db.execute("INSERT INTO rollup_settings VALUES ('timezone', ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (tz_name,))


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(ts_ms: int, tz_name: str) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, zone(tz_name)).date().isoformat()


def stored_timezone(db) -> str:
    row = db.execute("SELECT value FROM rollup_settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else DEFAULT_TZ


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


class Upserts:
    """The batch's changes to the derived tables, folded per row key in memory, then written
    with one executemany per table and kind (a round trip each, not one per message)."""

    FOLD = {"sum": lambda a, b: a + b, "max": max, "last": lambda a, b: b,
            "or": lambda a, b: int(a) | int(b)}

    def __init__(self) -> None:
        self.rows: dict[tuple, Any] = {}  # (table, key column, how, house, metric, bucket)

    def add(self, table: str, key: str, house: str, metric: str, bucket, value, how: str) -> None:
        k = (table, key, how, house, metric, bucket)
        self.rows[k] = value if k not in self.rows else self.FOLD[how](self.rows[k], value)

    def flush(self, db) -> None:
        groups: dict[tuple, list] = {}
        for (table, key, how, house, metric, bucket), value in self.rows.items():
            groups.setdefault((table, key, how), []).append((house, metric, bucket, value))
        for (table, key, how), rows in groups.items():
            upsert = (f"ON CONFLICT (house, metric, {key}) DO UPDATE SET "
                      f"{_UPSERT[how].format(t=table)}")
            sql, params, one = upsert_figures(dialect(db), table, key, upsert, rows)
            db.execute(sql, params) if one else db.executemany(sql, params)
        self.rows.clear()


def expand_rollup(rollup: Any) -> list:
    """A roll-up's samples as the telemetry rows they were: each with the gauges it kept, the
    last also with the roll-up's last values (counters are cumulative). Counted like raw
    rows, they give the online minutes, peaks and sums the raw rows would have given."""
    # The merged metrics hold the last value seen of each: the series' own last values
    # come from the last sample alone (it may have had none of a gauge an earlier one had).
    series = {ROLLUP_SAMPLES, *ROLLUP_SERIES, *(name for s in rollup.samples for name in s.values)}
    last = {k: v for k, v in rollup.metrics.items() if k not in series}
    final = len(rollup.samples) - 1
    return [replace(rollup, seq=s.seq, ts=s.ts, mono=s.mono, upto=None, samples=(),
                    metrics={**last, **s.values} if i == final else dict(s.values))
            for i, s in enumerate(rollup.samples)]


def apply_rollups(db, new: list[NewRow]) -> None:
    """Fold the telemetry and events a batch stored for the first time into the derived tables.

    Only first stores count, so replays count once. Without a synchronised (or re-timed)
    clock the house's ts is meaningless: arrival time is used.
    """
    if not new:
        return
    tz_name = stored_timezone(db)
    out = Upserts()
    minutes: dict[tuple[str, int], dict[int, str]] = {}  # (house, hour) -> {minute: its day}
    for row in new:
        msg = row.message
        ts = row.ts if row.tq in ("ntp", "retimed") else row.recv_ts
        hour, day = ts // 3_600_000, local_day(ts, tz_name)
        if type(msg).__name__ == "Telemetry":
            _telemetry(out, msg, hour, day)
            minutes.setdefault((msg.house, hour), {}).setdefault((ts // 60_000) % 60, day)
        else:
            _event(db, out, msg, ts, hour, day, row.recv_ts)
    _online(db, out, minutes)
    out.flush(db)


def _both(out: Upserts, house, metric, hour, day, value, how) -> None:
    out.add("rollup_hourly", "hour", house, metric, hour, value, how)
    out.add("rollup_daily", "day", house, metric, day, value, how)


def _telemetry(out: Upserts, msg, hour: int, day: str) -> None:
    clients = _number(msg.metrics.get(WIFI_CLIENTS))
    if clients is not None:
        _both(out, msg.house, WIFI_PEAK, hour, day, clients, "max")
    unique = _number(msg.metrics.get(WIFI_UNIQUE_TODAY))
    if unique is not None:
        out.add("rollup_daily", "day", msg.house, WIFI_UNIQUE_LIVE, day, unique, "max")


def _online(db, out: Upserts, minutes: dict[tuple[str, int], dict[int, str]]) -> None:
    """Online time: one bit per minute of the hour that saw a sample, each counted once
    (against the hour's mask as stored, read in one query per 300 hours)."""
    keys = list(minutes)
    for i in range(0, len(keys), 300):
        part = keys[i:i + 300]
        stored = {(h, hour): int(mask) for h, hour, mask in db.execute(
            "SELECT house, hour, value FROM rollup_hourly WHERE metric = ? AND (house, hour) IN "
            f"(VALUES {', '.join(['(?, ?)'] * len(part))})",
            (ONLINE_MASK, *(v for key in part for v in key)))}
        for house, hour in part:
            mask = stored.get((house, hour), 0)
            for minute, day in minutes[(house, hour)].items():
                if not (mask >> minute) & 1:
                    out.add("rollup_hourly", "hour", house, ONLINE_MASK, hour, 1 << minute, "or")
                    _both(out, house, ONLINE_MINUTES, hour, day, 1, "sum")


def _event(db, out: Upserts, msg, ts: int, hour: int, day: str, recv_ts: int) -> None:
    for metric, key in EVENT_SUMS.get(msg.type, ()):
        value = 1 if key is None else _number(msg.data.get(key))
        if value:
            _both(out, msg.house, metric, hour, day, value, "sum")
    if msg.type == HELP_REQUESTED:
        request = msg.data.get("request")  # the house's own number, echoed in help_ack
        db.execute("INSERT INTO help_requests (house, epoch, seq, ts, recv_ts, request) "
                   "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                   (msg.house, msg.epoch, msg.seq, ts, recv_ts,
                    request if isinstance(request, int) else None))
    elif msg.type in (HELP_ACKNOWLEDGED, HELP_CLOSED):  # answered or over at the house
        who = "house" if msg.type == HELP_ACKNOWLEDGED else "closed"
        db.execute("UPDATE help_requests SET acked_ts = ?, acked_by = ? "
                   "WHERE house = ? AND acked_ts IS NULL AND ts <= ?", (ts, who, msg.house, ts))
    elif msg.type == WIFI_DAILY:
        wday = msg.data.get("day")
        wday = day if value_problem(EVENTS[WIFI_DAILY].data["day"], wday) else wday
        for key, metric in WIFI_DAILY_KEYS.items():
            value = _number(msg.data.get(key))
            if value is not None:
                out.add("rollup_daily", "day", msg.house, metric, wday, value, "last")
