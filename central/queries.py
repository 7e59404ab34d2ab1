"""Read side of the dashboard: house cards, house details, series and outage causes.

Only reads (per-thread read-only connections); the decisions (offline cause, outage
classification, time parsing) are pure functions tested with plain values.
Pure: standard library, sqlite3 and central.rollups only.
"""
from __future__ import annotations

import json
import time as _time
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from protocol import is_name
from protocol.vocabulary import METRICS, metric_problem

from . import latest
from .rollups import (COPY_JOBS, PRINT_JOBS, PRINT_PAGES, SCAN_JOBS, SERIES_METRICS,
                      WIFI_UNIQUE, WIFI_UNIQUE_LIVE, local_day, stored_timezone, zone)

# Wire names read here, looked up at import (a name dropped from the vocabulary stops central).
PRINT_STATE, PRINT_REASONS = METRICS["print.state"].name, METRICS["print.reasons"].name
PRINT_HELD, PRINT_PENDING = METRICS["print.queue.held"].name, METRICS["print.queue.pending"].name
SCAN_STATE, SCAN_QUEUE = METRICS["scan.state"].name, METRICS["scan.queue"].name
WIFI_CLIENTS, UPTIME = METRICS["wifi.clients"].name, METRICS["sys.uptime_s"].name
TODAY = (PRINT_PAGES, PRINT_JOBS, SCAN_JOBS, COPY_JOBS, WIFI_UNIQUE, WIFI_UNIQUE_LIVE)

MAX_HOURLY_DAYS = 62
MAX_DAILY_DAYS = 400
MAX_RAW_DAYS = 7
RAW_POINTS = 2000


class BadRequest(ValueError):
    """A query the caller got wrong; the message says how."""


@dataclass(frozen=True)
class Liveness:
    online: bool
    cause: str  # "" while online; lost | stopped | silent | never


def liveness(online: bool, reason: str, last_seen_ms: int, now_ms: int, stale_s: float) -> Liveness:
    """Online unless the will/stop said so or the heartbeat went quiet for `stale_s`."""
    if not online:
        return Liveness(False, reason if reason in ("lost", "stopped") else "lost")
    if last_seen_ms and now_ms - last_seen_ms > stale_s * 1000:
        return Liveness(False, "silent")
    return Liveness(True, "")


def classify_outage(reason: str, boot_before: str, boot_after: str,
                    uptime_after_s: float | None, outage_s: float) -> str:
    """Why a house was away, known once it is back: the will, the boot id and the uptime."""
    if reason == "stopped":
        return "stopped"
    if boot_before and boot_before == boot_after:
        return "network_loss"  # the agent kept running: only the link was down
    if uptime_after_s is not None and uptime_after_s <= outage_s + 300:
        return "power_cut"  # the Pi itself booted during the outage
    return "restart"


def parse_time(text: str | None, tz_name: str, end: bool = False) -> int | None:
    """'2026-11-01', '2026-11-01T08:00' (local time) or unix ms -> unix ms."""
    if text is None or text == "":
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            when = datetime.combine(day + timedelta(days=1) if end else day, time(0), zone(tz_name))
        else:
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=zone(tz_name))
    except ValueError:
        raise BadRequest(f"not a date: {text!r} (use YYYY-MM-DD, YYYY-MM-DDTHH:MM or unix ms)") \
            from None
    return int(when.timestamp() * 1000)


def time_range(frm: str | None, to: str | None, tz_name: str, now_ms: int, default_days: int,
               max_days: int) -> tuple[int, int]:
    """Validated [from, to) in unix ms; BadRequest on bad dates, reversed or huge ranges."""
    end = parse_time(to, tz_name, end=True) or now_ms
    start = parse_time(frm, tz_name) or end - default_days * 86_400_000
    if start >= end:
        raise BadRequest("'from' must be before 'to'")
    if end - start > max_days * 86_400_000:
        raise BadRequest(f"range too long: at most {max_days} days")
    return start, end


def latest_clock(db, houses: list[str]) -> dict[str, tuple[int, int, str]]:
    """(ts, recv_ts, tq) of each house's newest message (highest seq of its current outbox
    epoch), for clock checks: two queries per 300 houses."""
    out = {}
    for i in range(0, len(houses), 300):
        part = houses[i:i + 300]
        newest = [row for row in db.execute(
            "SELECT h.house, h.epoch, (SELECT max(m.seq) FROM messages AS m WHERE "
            "m.house = h.house AND m.epoch = h.epoch) FROM houses AS h WHERE h.house IN "
            f"({', '.join(['?'] * len(part))})", part) if row[2] is not None]
        if newest:
            out.update((h, (ts, recv, tq)) for h, ts, recv, tq in db.execute(
                f"SELECT m.house, m.ts, m.recv_ts, m.tq FROM (VALUES "
                f"{', '.join(['(?, ?, ?)'] * len(newest))}) AS v JOIN messages AS m ON "
                "m.house = v.column1 AND m.epoch = v.column2 AND m.seq = v.column3",
                [x for row in newest for x in row]))
    return out


HELP_OPEN_FOR_MS = 86_400_000  # an unanswered HELP older than a day is history, not a call


def open_help(db: sqlite3.Connection, house: str | None = None,
              now_ms: int | None = None) -> list[dict]:
    """HELP requests from the last day that nobody acknowledged."""
    since = (now_ms or int(_time.time() * 1000)) - HELP_OPEN_FOR_MS
    sql = "SELECT house, seq, ts, recv_ts FROM help_requests WHERE acked_ts IS NULL AND ts >= ?"
    rows = db.execute(sql + (" AND house = ?" if house else "") + " ORDER BY ts",
                      (since, house) if house else (since,))
    return [{"house": h, "seq": s, "ts": ts, "recv_ts": r} for h, s, ts, r in rows]


def today(db: sqlite3.Connection, now_ms: int, tz_name: str,
          only: str | None = None) -> dict[str, dict]:
    day = local_day(now_ms, tz_name)
    out: dict[str, dict] = {}
    sql = ("SELECT house, metric, value FROM rollup_daily WHERE day = ? AND metric IN "
           f"({', '.join('?' * len(TODAY))})")
    for house, metric, value in db.execute(sql + (" AND house = ?" if only else ""),
                                           (day, *TODAY, only) if only else (day, *TODAY)):
        out.setdefault(house, {})[metric] = value
    return out


_DECODED: dict[str, tuple[str, dict]] = {}  # house -> (metrics JSON, decoded): skip re-decoding


def well_typed(metrics: dict) -> dict:
    """The metrics without known ones whose value breaks the vocabulary (rows stored before
    central checked types at the door may hold them): nothing downstream sees them."""
    return {k: v for k, v in metrics.items() if not metric_problem(k, v)}


def house_rows(db: sqlite3.Connection, only: str | None = None) -> dict[str, dict]:
    """The houses table as dicts, decoding only metrics that changed."""
    sql = ("SELECT house, first_seen, last_seen, online, reason, boot, status_ts, version, "
           "metrics, metrics_ts, acked_seq FROM houses" + (" WHERE house = ?" if only else ""))
    out = {}
    for r in db.execute(sql, (only,) if only else ()):
        cached = _DECODED.get(r[0])
        if cached is None or cached[0] != r[8]:
            cached = _DECODED[r[0]] = (r[8], well_typed(json.loads(r[8])))
        out[r[0]] = {"house": r[0], "first_seen": r[1], "last_seen": r[2], "online": bool(r[3]),
                     "offline_reason": r[4] if not r[3] else "", "boot": r[5], "status_ts": r[6],
                     "version": r[7], "metrics": cached[1], "metrics_ts": r[9], "acked_seq": r[10]}
    return out


def house_cards(db: sqlite3.Connection, now_ms: int, known: dict[str, str], stale_s: float,
                alerts: list[dict], only: str | None = None,
                with_metrics: bool = True) -> list[dict]:
    """One card per house (or only one): liveness and cause, printer, scanner, Wi-Fi, today,
    alerts, HELP."""
    tz_name = stored_timezone(db)
    rows = house_rows(db, only)
    if only:
        known = {only: known.get(only, "")}
    figures = today(db, now_ms, tz_name, only)
    helps: dict[str, list] = {}
    for h in open_help(db, only, now_ms):
        helps.setdefault(h["house"], []).append({"seq": h["seq"], "ts": h["ts"]})
    by_house: dict[str, list] = {}
    for a in alerts:
        by_house.setdefault(a["house"], []).append(a)
    returns = recent_returns(db, now_ms - 86_400_000, only)
    cards = []
    for house in sorted(set(rows) | set(known)):
        row = rows.get(house)
        m = row["metrics"] if row else {}
        if row is None:
            live = Liveness(False, "never")
        else:
            live = liveness(row["online"], row["offline_reason"], row["last_seen"], now_ms, stale_s)
        day = figures.get(house, {})
        cards.append({
            "house": house, "name": known.get(house, ""), "online": live.online,
            "cause": live.cause, "last_seen": row["last_seen"] if row else None,
            "offline_reason": row["offline_reason"] if row else "",
            "acked_seq": row["acked_seq"] if row else 0,
            "boot": row["boot"] if row else "", "version": row["version"] if row else "",
            "back_after": returns.get(house) if live.online else None,
            "printer": {"state": m.get(PRINT_STATE), "reasons": m.get(PRINT_REASONS) or [],
                        "held": m.get(PRINT_HELD), "pending": m.get(PRINT_PENDING)},
            "scanner": {"state": m.get(SCAN_STATE), "queue": m.get(SCAN_QUEUE)},
            "wifi_now": m.get(WIFI_CLIENTS),
            "today": {"pages": day.get(PRINT_PAGES, 0), "print_jobs": day.get(PRINT_JOBS, 0),
                      "scans": day.get(SCAN_JOBS, 0), "copies": day.get(COPY_JOBS, 0),
                      "users": day.get(WIFI_UNIQUE, day.get(WIFI_UNIQUE_LIVE, 0))},
            "alerts": by_house.get(house, []), "help": helps.get(house, []),
            **({"metrics": m} if with_metrics else {}), "metrics_ts": row["metrics_ts"] if row else None,
        })
    return cards


def recent_returns(db, since_ms: int, only: str | None = None) -> dict[str, dict]:
    """The latest outage that ended since `since_ms`, per house (or only one), with its
    likely cause."""
    out = {}
    for o in outages(db, only, since_ms):
        if o["end"] is not None:
            out[o["house"]] = o
    return out


def outages(db, house: str | None, since_ms: int) -> list[dict]:
    """Offline periods from the status log, classified once the house came back."""
    sql = ("SELECT house, boot, online, reason, recv_ts FROM status_log WHERE recv_ts >= ?"
           + (" AND house = ?" if house else "") + " ORDER BY house, recv_ts")
    found: list[tuple[dict, str]] = []  # (ended outage, the boot it ended with)
    open_: dict[str, dict] = {}
    for h, boot, online, reason, recv_ts in db.execute(sql, (since_ms, house) if house
                                                       else (since_ms,)):
        if not online and h not in open_:
            open_[h] = {"house": h, "start": recv_ts, "end": None, "boot": boot, "reason": reason,
                        "cause": reason or "lost"}
        elif online and h in open_:
            o = open_.pop(h)
            o["end"] = recv_ts
            found.append((o, boot))
    first = _first_uptimes(db, list({(o["house"], boot): None for o, boot in found}))
    for o, boot in found:
        outage_s = (o["end"] - o["start"]) / 1000
        o["cause"] = classify_outage(o["reason"], o["boot"], boot,
                                     _uptime_at(first.get((o["house"], boot)), o["end"]),
                                     outage_s)
    return [o for o, _ in found] + list(open_.values())


def _first_uptimes(db, boots: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """(ts, uptime) of the first telemetry row of each (house, boot): two queries per 300."""
    out = {}
    for i in range(0, len(boots), 300):
        part = boots[i:i + 300]
        firsts = db.execute(
            f"SELECT v.column1, v.column2, min(m.seq) FROM (VALUES "
            f"{', '.join(['(?, ?)'] * len(part))}) AS v JOIN messages AS m ON "
            "m.house = v.column1 AND m.kind = 'telemetry' AND m.boot = v.column2 "
            "GROUP BY v.column1, v.column2", [x for key in part for x in key]).fetchall()
        if not firsts:
            continue
        for h, b, ts, up in db.execute(
                f"SELECT m.house, m.boot, m.ts, json_extract(m.body, ?) FROM (VALUES "
                f"{', '.join(['(?, ?, ?)'] * len(firsts))}) AS v JOIN messages AS m ON "
                "m.house = v.column1 AND m.kind = 'telemetry' AND m.boot = v.column2 "
                "AND m.seq = v.column3", (f'$."{UPTIME}"', *(x for row in firsts for x in row))):
            out[(h, b)] = (ts, up)
    return out


def _uptime_at(first: tuple | None, when_ms: int) -> float | None:
    """The house's uptime when it came back, from its boot's first sample."""
    if first is None or first[1] is None or metric_problem(UPTIME, first[1]):
        return None
    return float(first[1]) - max(0, first[0] - when_ms) / 1000


def recent_events(db: sqlite3.Connection, house: str, limit: int = 50) -> list[dict]:
    # Newest first by time: seqs start again with a new outbox epoch (a new SD card).
    rows = db.execute("SELECT seq, ts, type, body FROM messages WHERE house = ? AND kind = 'event' "
                      "ORDER BY ts DESC, seq DESC LIMIT ?", (house, limit))
    return [{"seq": s, "ts": ts, "type": t, "data": json.loads(b)} for s, ts, t, b in rows]


def series(db: sqlite3.Connection, house: str, metric: str, start_ms: int, end_ms: int,
           step: str) -> list[list]:
    """[[bucket start ms, value], …]: rollups per hour/day (zeros filled) or raw telemetry."""
    if not is_name(metric):  # it becomes part of a JSON path below
        raise BadRequest(f"not a metric name: {metric[:80]!r}")
    tz_name = stored_timezone(db)
    if step == "raw":
        path = f'$."{metric}"'
        rows = db.execute("SELECT ts, json_extract(body, ?) FROM messages WHERE house = ? AND "
                          "kind = 'telemetry' AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
                          (path, house, start_ms, end_ms, RAW_POINTS))
        # Samples carry only what changed: the value held before the range starts the line
        # (a full sample comes at least hourly, so one within two hours says it).
        held = db.execute("SELECT json_extract(body, ?) FROM messages WHERE house = ? AND "
                          "kind = 'telemetry' AND ts >= ? AND ts < ? AND "
                          "json_extract(body, ?) IS NOT NULL ORDER BY ts DESC LIMIT 1",
                          (path, house, start_ms - 2 * 3_600_000, start_ms, path)).fetchone()
        return latest.carried_forward(rows, held[0] if held else None)
    if metric not in SERIES_METRICS:
        raise BadRequest(f"no {step} figures for {metric!r}; known: {', '.join(SERIES_METRICS)}")
    if step == "hour":
        first, last = start_ms // 3_600_000, (end_ms - 1) // 3_600_000
        got = dict(db.execute("SELECT hour, value FROM rollup_hourly WHERE house = ? AND "
                              "metric = ? AND hour BETWEEN ? AND ?", (house, metric, first, last)))
        return [[h * 3_600_000, got.get(h, 0)] for h in range(first, last + 1)]
    first_day = date.fromisoformat(local_day(start_ms, tz_name))
    last_day = date.fromisoformat(local_day(end_ms - 1, tz_name))
    got = dict(db.execute("SELECT day, value FROM rollup_daily WHERE house = ? AND metric = ? "
                          "AND day BETWEEN ? AND ?", (house, metric, first_day.isoformat(),
                                                      last_day.isoformat())))
    out, day = [], first_day
    while day <= last_day:
        ms = int(datetime.combine(day, time(0), zone(tz_name)).timestamp() * 1000)
        out.append([ms, got.get(day.isoformat(), 0)])
        day += timedelta(days=1)
    return out


def max_days(step: str) -> int:
    return {"hour": MAX_HOURLY_DAYS, "day": MAX_DAILY_DAYS, "raw": MAX_RAW_DAYS}[step]


DEMO_SEED_KEY = "demo_seed"  # rollup_settings key harness/demo_history.py writes


def demo_seed(db: sqlite3.Connection) -> str | None:
    """What the demo wrote when it seeded made-up history into this store, else None."""
    row = db.execute("SELECT value FROM rollup_settings WHERE key = ?",
                     (DEMO_SEED_KEY,)).fetchone()
    return row[0] if row else None
