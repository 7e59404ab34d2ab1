"""The monthly report's figures: per house, per place (province, district, commune) and for
the fleet, from the daily roll-ups, the HELP table and the status log of one local month.

The XLSX and PDF writers (report_xlsx.py, report_pdf.py) only lay these values out.
Pure: standard library, sqlite3 and central's config, queries, reports and rollups only.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping

from . import queries, reports
from .config import PLACE_LEVELS, HouseEntry
from .queries import BadRequest
from .rollups import stored_timezone, zone

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only
OLDEST_YEAR = 2000
# Report columns, in the order the sheets and the PDF show them. The first ones are the
# daily report's (central/reports.py) summed over the month.
SUMMED = ("pages_printed", "print_jobs", "scans", "scanned_pages", "copies", "wifi_users",
          "wifi_sessions", "hours_online", "help_requests", "help_answered", "outages",
          "outage_hours")
FIELDS = SUMMED[:10] + ("help_answer_min",) + SUMMED[10:]
FROM_DAILY = {"pages_printed": "pages_printed", "print_jobs": "print_jobs", "scans": "scans",
              "scanned_pages": "scanned_pages", "copies": "copies",
              "wifi_users": "wifi_unique_users", "wifi_sessions": "wifi_sessions",
              "hours_online": "hours_online", "help_requests": "help_requests"}
DECIMALS = {"hours_online": 2, "outage_hours": 2, "help_answer_min": 1}
CHARTED = ("pages_printed", "scans", "copies", "wifi_users")  # fleet totals per day
# Answered at the house by the request's own end (timeout, second press): not an answer.
CLOSED_AT_HOUSE = "closed"


@dataclass(frozen=True)
class Line:
    """One row of the report: a house, a place at one level, or the whole fleet."""

    name: str
    place: Mapping[str, str]  # province, district, commune ("" where not set or not shown)
    houses: int
    figures: Mapping[str, float]
    house: str = ""  # the house id, on house rows only
    answers_s: tuple[float, ...] = field(default=(), repr=False)  # HELP answer times


@dataclass(frozen=True)
class MonthReport:
    month: str  # "2026-11"
    timezone: str
    made_ms: int
    houses: tuple[Line, ...]
    regions: Mapping[str, tuple[Line, ...]]  # level (PLACE_LEVELS) -> one line per place
    total: Line
    days: tuple[tuple[str, Mapping[str, float]], ...]  # local day -> fleet CHARTED figures


def parse_month(text: str | None, today: date) -> date:
    """'2026-11' -> date(2026, 11, 1); not in the future nor before OLDEST_YEAR."""
    m = MONTH.fullmatch((text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise BadRequest("month must look like 2026-11")
    first = date(int(m[1]), int(m[2]), 1)
    if first > today.replace(day=1):
        raise BadRequest(f"month {first:%Y-%m} has not started yet")
    if first.year < OLDEST_YEAR:
        raise BadRequest(f"month must be {OLDEST_YEAR}-01 or later")
    return first


def month_days(first: date) -> tuple[date, date]:
    """The first and the last local day of the month that starts at `first`."""
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _ms(day: date, tz_name: str) -> int:
    return int(datetime.combine(day, time(0), zone(tz_name)).timestamp() * 1000)


def _round(name: str, value: float) -> float:
    return round(value, DECIMALS[name]) if name in DECIMALS else value


def combine(lines: list[Line], name: str, place: Mapping[str, str] | None = None) -> Line:
    """The lines added up; the answer time is the median of all their answers."""
    figures = {f: _round(f, sum(line.figures[f] for line in lines)) for f in SUMMED}
    answers = tuple(a for line in lines for a in line.answers_s)
    figures["help_answer_min"] = _median_min(answers)
    return Line(name, dict(place or {}), sum(line.houses for line in lines),
                {f: figures[f] for f in FIELDS}, answers_s=answers)


def _median_min(answers_s) -> float:
    return round(statistics.median(answers_s) / 60, 1) if answers_s else 0


def regions(houses: tuple[Line, ...]) -> dict[str, tuple[Line, ...]]:
    """One line per place at each level, larger places first in the key (a district is
    known by its province too: two provinces may have a district of the same name)."""
    out = {}
    for depth, level in enumerate(PLACE_LEVELS, start=1):
        groups: dict[tuple, list[Line]] = {}
        for line in houses:
            key = tuple(line.place.get(lv, "") for lv in PLACE_LEVELS[:depth])
            groups.setdefault(key, []).append(line)
        out[level] = tuple(combine(lines, key[-1], dict(zip(PLACE_LEVELS, key)))
                           for key, lines in sorted(groups.items(),
                                                    key=lambda kv: [_order(k) for k in kv[0]]))
    return out


def _order(name: str) -> tuple:
    """Places as people list them: "Xã 2" before "Xã 10", case aside; unplaced last."""
    parts = re.split(r"([0-9]+)", name.casefold())
    return (not name, [(int(p), "") if p.isdigit() else (0, p) for p in parts])


def house_lines(daily: list[dict], answers: dict[str, list[float]],
                outages: dict[str, tuple[int, float]], known: Mapping[str, HouseEntry],
                houses: list[str]) -> tuple[Line, ...]:
    """A line per house from the daily report's rows, its HELP answer times (seconds) and its
    (outages, hours offline)."""
    sums = {h: dict.fromkeys(FROM_DAILY, 0) for h in houses}
    for row in daily:
        for name, column in FROM_DAILY.items():
            sums[row["house"]][name] += row[column]
    lines = []
    for h in houses:
        entry = known.get(h) or HouseEntry()
        got = answers.get(h, [])
        count, hours = outages.get(h, (0, 0.0))
        figures = {**{n: _round(n, v) for n, v in sums[h].items()}, "help_answered": len(got),
                   "help_answer_min": _median_min(got), "outages": count,
                   "outage_hours": round(hours, 2)}
        lines.append(Line(entry.name or h, entry.place(), 1, {f: figures[f] for f in FIELDS},
                          house=h, answers_s=tuple(got)))
    return tuple(lines)


def help_answers(db, start_ms: int, end_ms: int) -> dict[str, list[float]]:
    """Seconds from each HELP request of the month to its answer from central, per house."""
    out: dict[str, list[float]] = {}
    for house, ts, acked_ts, by in db.execute(
            "SELECT house, ts, acked_ts, acked_by FROM help_requests "
            "WHERE ts >= ? AND ts < ? AND acked_ts IS NOT NULL", (start_ms, end_ms)):
        if by != CLOSED_AT_HOUSE:
            out.setdefault(house, []).append(max(0, acked_ts - ts) / 1000)
    return out


def offline(db, start_ms: int, end_ms: int, now_ms: int) -> dict[str, tuple[int, float]]:
    """(outages, hours offline) within the month per house; an outage still open runs to now."""
    out: dict[str, tuple[int, float]] = {}
    # An outage that began up to 31 days before the month may still reach into it.
    for o in queries.outages(db, None, start_ms - 31 * 86_400_000):
        begin = max(o["start"], start_ms)
        finish = min(o["end"] if o["end"] is not None else now_ms, end_ms)
        if finish > begin or start_ms <= o["start"] < end_ms:
            count, hours = out.get(o["house"], (0, 0.0))
            out[o["house"]] = (count + 1, hours + max(0, finish - begin) / 3_600_000)
    return out


def build(db, first: date, known: Mapping[str, HouseEntry], now_ms: int) -> MonthReport:
    """The month that starts at `first` (parse_month), from the store."""
    tz_name = stored_timezone(db)
    start, end = month_days(first)
    start_ms, end_ms = _ms(start, tz_name), _ms(end + timedelta(days=1), tz_name)
    houses = reports.all_houses(db, known)
    daily = reports.daily(db, start, end, houses)
    lines = house_lines(daily, help_answers(db, start_ms, end_ms),
                        offline(db, start_ms, end_ms, now_ms), known, houses)
    days: dict[str, dict[str, float]] = {}
    for row in daily:
        day = days.setdefault(row["day"], dict.fromkeys(CHARTED, 0))
        for name in CHARTED:
            day[name] += row[FROM_DAILY[name]]
    return MonthReport(f"{first:%Y-%m}", tz_name, now_ms, lines, regions(lines),
                       combine(list(lines), ""), tuple(sorted(days.items())))
