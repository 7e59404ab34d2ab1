"""Derived tables kept up to date at ingest: hourly and daily figures for charts and reports.

`apply_rollups` runs inside the store's write transaction for every batch. The table of
metric and event names the features send lives here (NAMES), so aligning them is one edit.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# What each feature sends (docs/printing.md, docs/scanning.md, docs/wifi.md, docs/protocol.md).
NAMES = {
    "print_state": "print.state", "print_reasons": "print.reasons",
    "print_held": "print.queue.held", "print_pending": "print.queue.pending",
    "scan_state": "scan.state", "scan_queue": "scan.queue",
    "wifi_clients": "wifi.clients", "wifi_unique_today": "wifi.unique.today",
    "outbox_rows": "outbox.rows", "disk_free_pct": "sys.disk_free_pct",
    "disk_free_mb": "sys.disk_free_mb", "uptime_s": "sys.uptime_s",
    "ev_print_completed": "print.job_completed", "ev_print_failed": "print.job_failed",
    "ev_copy_completed": "copy.completed", "ev_scan_completed": "scan.completed",
    "ev_scan_failed": "scan.failed", "ev_help": "help.requested", "ev_help_ack": "help.acknowledged",
    "ev_help_closed": "help.closed",
    "ev_wifi_daily": "wifi.daily",
}
N = NAMES

# event type -> [(rollup metric, data key or None for a count)]; all summed per hour and day.
EVENT_SUMS = {
    N["ev_print_completed"]: [("print.jobs", None), ("print.pages", "pages")],
    N["ev_print_failed"]: [("print.failed", None)],
    N["ev_copy_completed"]: [("copy.jobs", None), ("copy.pages", "pages")],
    N["ev_scan_completed"]: [("scan.jobs", None), ("scan.pages", "pages")],
    N["ev_scan_failed"]: [("scan.failed", None)],
    N["ev_help"]: [("help.requests", None)],
}
# wifi.daily data key -> daily rollup metric (the edge's own figures for one local day).
WIFI_DAILY = {"unique_devices": "wifi.unique", "sessions": "wifi.sessions",
              "dwell_p50_s": "wifi.dwell_p50_s"}
SERIES_METRICS = ("print.pages", "print.jobs", "copy.jobs", "copy.pages", "scan.jobs",
                  "scan.pages", "help.requests", "wifi.clients", "online.minutes")

# Central's store creates these tables in its migrations (central/store.py MIGRATIONS).
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

_UPSERT = {
    "sum": "value = value + excluded.value",
    "max": "value = max(value, excluded.value)",
    "last": "value = excluded.value",
    "or": "value = value | excluded.value",
}


@dataclass(frozen=True)
class NewRow:
    """A message the store has just stored for the first time, as stored (ts maybe re-timed)."""

    message: Any  # protocol.Telemetry or protocol.Event
    recv_ts: int
    ts: int
    tq: str


def remember_timezone(db: sqlite3.Connection, tz_name: str | None) -> None:
    """Remember the local time zone days are counted in."""
    if tz_name:
        db.execute("INSERT INTO rollup_settings VALUES ('timezone', ?) "
                   "ON CONFLICT DO UPDATE SET value = excluded.value", (tz_name,))


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(ts_ms: int, tz_name: str) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, zone(tz_name)).date().isoformat()


def stored_timezone(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM rollup_settings WHERE key = 'timezone'").fetchone()
    return row[0] if row else DEFAULT_TZ


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _add(db, table: str, key: str, house: str, metric: str, bucket, value, how: str) -> None:
    db.execute(f"INSERT INTO {table} (house, metric, {key}, value) VALUES (?,?,?,?) "
               f"ON CONFLICT DO UPDATE SET {_UPSERT[how]}", (house, metric, bucket, value))


def apply_rollups(db: sqlite3.Connection, new: list[NewRow]) -> None:
    """Fold the telemetry and events a batch stored for the first time into the derived tables.

    Only first stores count, so replays count once. Without a synchronised (or re-timed)
    clock the house's ts is meaningless: arrival time is used.
    """
    if not new:
        return
    tz_name = stored_timezone(db)
    for row in new:
        msg = row.message
        ts = row.ts if row.tq in ("ntp", "retimed") else row.recv_ts
        hour, day = ts // 3_600_000, local_day(ts, tz_name)
        if type(msg).__name__ == "Telemetry":
            _telemetry(db, msg, ts, hour, day)
        else:
            _event(db, msg, ts, hour, day, row.recv_ts)


def _both(db, house, metric, hour, day, value, how) -> None:
    _add(db, "rollup_hourly", "hour", house, metric, hour, value, how)
    _add(db, "rollup_daily", "day", house, metric, day, value, how)


def _telemetry(db, msg, ts: int, hour: int, day: str) -> None:
    clients = _number(msg.metrics.get(N["wifi_clients"]))
    if clients is not None:
        _both(db, msg.house, "wifi.clients", hour, day, clients, "max")
    unique = _number(msg.metrics.get(N["wifi_unique_today"]))
    if unique is not None:
        _add(db, "rollup_daily", "day", msg.house, "wifi.unique_live", day, unique, "max")
    # Online time: one bit per minute of the hour that saw a sample, counted once.
    minute = (ts // 60_000) % 60
    row = db.execute("SELECT value FROM rollup_hourly WHERE house = ? AND metric = 'online.mask' "
                     "AND hour = ?", (msg.house, hour)).fetchone()
    if row is None or not (int(row[0]) >> minute) & 1:
        _add(db, "rollup_hourly", "hour", msg.house, "online.mask", hour, 1 << minute, "or")
        _both(db, msg.house, "online.minutes", hour, day, 1, "sum")


def _event(db, msg, ts: int, hour: int, day: str, recv_ts: int) -> None:
    for metric, key in EVENT_SUMS.get(msg.type, ()):
        value = 1 if key is None else _number(msg.data.get(key))
        if value:
            _both(db, msg.house, metric, hour, day, value, "sum")
    if msg.type == N["ev_help"]:
        request = msg.data.get("request")  # the house's own number, echoed in help_ack
        db.execute("INSERT OR IGNORE INTO help_requests (house, seq, ts, recv_ts, request) "
                   "VALUES (?,?,?,?,?)", (msg.house, msg.seq, ts, recv_ts,
                                          request if isinstance(request, int) else None))
    elif msg.type in (N["ev_help_ack"], N["ev_help_closed"]):  # answered or over at the house
        who = "house" if msg.type == N["ev_help_ack"] else "closed"
        db.execute("UPDATE help_requests SET acked_ts = ?, acked_by = ? "
                   "WHERE house = ? AND acked_ts IS NULL AND ts <= ?", (ts, who, msg.house, ts))
    elif msg.type == N["ev_wifi_daily"]:
        wday = msg.data.get("day")
        wday = wday if isinstance(wday, str) and _is_date(wday) else day
        for key, metric in WIFI_DAILY.items():
            value = _number(msg.data.get(key))
            if value is not None:
                _add(db, "rollup_daily", "day", msg.house, metric, wday, value, "last")


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True
