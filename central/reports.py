"""Usage reports: per house per local day, and a monthly summary for the commune, as CSV or JSON;
the monthly report by house and place as XLSX or PDF (report_month.py and its writers).

Figures come from the daily rollups, which count each stored event once.
Pure: standard library, sqlite3, common and central's store and queries only.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
import threading
import time
from datetime import date, timedelta
from http import HTTPStatus

from . import rollups
from .queries import BadRequest
from .rollups import local_day, stored_timezone

MAX_DAYS = 400
# report column -> daily rollup metric
COLUMNS = {
    "pages_printed": rollups.PRINT_PAGES, "print_jobs": rollups.PRINT_JOBS,
    "copies": rollups.COPY_JOBS, "scans": rollups.SCAN_JOBS, "scanned_pages": rollups.SCAN_PAGES,
    "wifi_unique_users": rollups.WIFI_UNIQUE, "wifi_sessions": rollups.WIFI_SESSIONS,
    "wifi_median_dwell_s": rollups.WIFI_DWELL_P50, "help_requests": rollups.HELP_REQUESTS,
    "hours_online": rollups.ONLINE_MINUTES,
}
SUMMED = [c for c in COLUMNS if c != "wifi_median_dwell_s"]


def day_range(frm: str | None, to: str | None, today: date) -> tuple[date, date]:
    """Inclusive local days; defaults to the last 30 days; BadRequest on anything odd."""
    try:
        end = date.fromisoformat(to) if to else today
        start = date.fromisoformat(frm) if frm else end - timedelta(days=29)
    except ValueError:
        raise BadRequest("dates must look like 2026-11-01") from None
    if start > end:
        raise BadRequest("'from' must not be after 'to'")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(f"range too long: at most {MAX_DAYS} days")
    return start, end


def daily(db: sqlite3.Connection, start: date, end: date, houses: list[str]) -> list[dict]:
    """One row per house per day in [start, end], zeros where nothing happened."""
    got: dict[tuple, dict] = {}
    for house, metric, day, value in db.execute(
            "SELECT house, metric, day, value FROM rollup_daily WHERE day BETWEEN ? AND ?",
            (start.isoformat(), end.isoformat())):
        got.setdefault((house, day), {})[metric] = value
    # Wi-Fi users: the edge's end-of-day figure, else the largest count seen during the day.
    rows, day = [], start
    while day <= end:
        for house in houses:
            m = got.get((house, day.isoformat()), {})
            row = {"day": day.isoformat(), "house": house}
            for column, metric in COLUMNS.items():
                row[column] = m.get(metric, 0)
            if rollups.WIFI_UNIQUE not in m:
                row["wifi_unique_users"] = m.get(rollups.WIFI_UNIQUE_LIVE, 0)
            row["hours_online"] = round(row["hours_online"] / 60, 2)
            rows.append(row)
        day += timedelta(days=1)
    return rows


def monthly(rows: list[dict]) -> list[dict]:
    """Commune totals per month; Wi-Fi users are summed per house-day (user-days)."""
    months: dict[str, dict] = {}
    dwell: dict[str, list] = {}
    for r in rows:
        month = r["day"][:7]
        m = months.setdefault(month, {"month": month, "houses_active": set(),
                                      **{c: 0 for c in SUMMED}})
        for c in SUMMED:
            m[c] += r[c]
        if r["hours_online"] or any(r[c] for c in SUMMED):
            m["houses_active"].add(r["house"])
        if r["wifi_median_dwell_s"]:
            dwell.setdefault(month, []).append(r["wifi_median_dwell_s"])
    out = []
    for month, m in sorted(months.items()):
        m["houses_active"] = len(m["houses_active"])
        m["hours_online"] = round(m["hours_online"], 2)
        values = sorted(dwell.get(month, []))
        m["wifi_median_dwell_s"] = values[len(values) // 2] if values else 0
        out.append(m)
    return out


def to_csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def all_houses(db: sqlite3.Connection, known: dict) -> list[str]:
    return sorted(set(known) | {h for (h,) in db.execute("SELECT house FROM houses")})


def build(db: sqlite3.Connection, frm, to, house, summary: bool, known: dict,
          today: date | None = None) -> list[dict]:
    today = today or date.fromisoformat(local_day(int(time.time() * 1000), stored_timezone(db)))
    start, end = day_range(frm, to, today)
    houses = all_houses(db, known)
    if house:
        if house not in houses:
            raise BadRequest(f"unknown house: {house}")
        houses = [house]
    rows = daily(db, start, end, houses)
    return monthly(rows) if summary else rows


def http(db, frm, to, house, fmt: str, summary: bool, known: dict):
    rows = build(db, frm, to, house, summary, known)
    if fmt == "json":
        return (HTTPStatus.OK, "application/json; charset=utf-8",
                json.dumps({"rows": rows}, ensure_ascii=False).encode())
    return HTTPStatus.OK, "text/csv; charset=utf-8", to_csv(rows).encode()


# The monthly report's files: format -> Content-Type (report_xlsx.py, report_pdf.py).
MONTH_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}


# One monthly file is made at a time per process: a PDF of 1,000 houses takes seconds of CPU,
# and reportlab keeps process-wide registries (fonts) that are not meant for threads.
_MAKING = threading.Lock()


class ReportUnavailable(RuntimeError):
    """This installation cannot make that file (a library or the font is missing)."""


def month_file(db: sqlite3.Connection, month: str | None, fmt: str, houses: dict, lang: str,
               now_ms: int) -> tuple[bytes, str, str]:
    """(file bytes, Content-Type, file name) of the monthly report; month 'YYYY-MM', by
    default the current one; BadRequest on a bad month or format."""
    from . import report_month
    if fmt not in MONTH_FORMATS:
        raise BadRequest(f"format must be {' or '.join(MONTH_FORMATS)}")
    today = date.fromisoformat(local_day(now_ms, stored_timezone(db)))
    first = report_month.parse_month(month or f"{today:%Y-%m}", today)
    missing: tuple = ()  # what the writer raises when this installation lacks something
    try:
        if fmt == "xlsx":
            from .report_xlsx import write_xlsx as write
        else:
            from .report_pdf import FontMissing, write_pdf as write
            missing = (FontMissing,)
    except ModuleNotFoundError as exc:
        raise ReportUnavailable(f"{fmt} reports need {exc.name}: install culturehouse[central]"
                                ) from None
    with _MAKING:
        report = report_month.build(db, first, houses, now_ms)
        try:
            data = write(report, lang)
        except missing as exc:
            raise ReportUnavailable(str(exc)) from None
    return data, MONTH_FORMATS[fmt], f"culturehouse-{report.month}.{fmt}"


def http_month(db, month, fmt, houses: dict, lang: str):
    """The monthly report as a download."""
    data, ctype, name = month_file(db, month, fmt, houses, lang, int(time.time() * 1000))
    return HTTPStatus.OK, ctype, data, {"Content-Disposition": f'attachment; filename="{name}"'}


def command(sp):
    """`culturehouse-central report --config central.toml --from … --to … --format csv|json`,
    or `--month 2026-11 --format xlsx|pdf --output FILE`."""
    sp.add_argument("--config", required=True, help="path to central.toml")
    sp.add_argument("--from", dest="frm", help="first day, YYYY-MM-DD (default: 30 days ago)")
    sp.add_argument("--to", help="last day, YYYY-MM-DD (default: today)")
    sp.add_argument("--month", help="a month, YYYY-MM: its days for csv and json; the month "
                    "of the xlsx and pdf report (default: this month)")
    sp.add_argument("--format", choices=("csv", "json", *MONTH_FORMATS), default="csv")
    sp.add_argument("--lang", choices=("vi", "en"), default="vi",
                    help="language of the xlsx and pdf report")
    sp.add_argument("--house", help="only this house")
    sp.add_argument("--summary", choices=("day", "month"), default="day",
                    help="per house per day, or commune totals per month")
    sp.add_argument("--output", help="write to this file instead of standard output")

    def run(args) -> int:
        from common.service import report_config_error
        from common.settings import ConfigError

        from . import config
        from .database import ERRORS, connect, redact
        try:
            cfg = config.load(args.config)
        except ConfigError as exc:
            return report_config_error(exc)
        if args.format in MONTH_FORMATS:
            return _write_month(args, cfg)
        try:
            frm, to = (args.frm, args.to) if not args.month else _days_of(args.month)
            db = connect(cfg.storage.location, readonly=True, password=cfg.storage.password)
            rows = build(db, frm, to, args.house, args.summary == "month", dict(cfg.houses))
        except BadRequest as exc:
            print(f"report: {exc}", file=sys.stderr)
            return 2
        except ERRORS as exc:
            print(f"cannot read {redact(cfg.storage.location)}: {exc}", file=sys.stderr)
            return 1
        text = json.dumps({"rows": rows}, ensure_ascii=False, indent=1) if args.format == "json" \
            else to_csv(rows)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
        return 0

    return run


def _days_of(month: str) -> tuple[str, str]:
    """--month for the daily report: its first and last day."""
    from .report_month import month_days, parse_month
    first, last = month_days(parse_month(month, date.max))
    return first.isoformat(), last.isoformat()


def _write_month(args, cfg) -> int:
    """The xlsx or pdf report of --month into --output (never a terminal)."""
    from .database import ERRORS, connect, redact
    if args.frm or args.to or args.house or args.summary != "day":
        print("report: xlsx and pdf are monthly reports of every house: use --month, not "
              "--from, --to, --house or --summary", file=sys.stderr)
        return 2
    if not args.output and sys.stdout.isatty():
        print(f"report: give --output FILE for a {args.format} report", file=sys.stderr)
        return 2
    try:
        db = connect(cfg.storage.location, readonly=True, password=cfg.storage.password)
        data, _, _ = month_file(db, args.month, args.format, dict(cfg.houses), args.lang,
                                int(time.time() * 1000))
    except BadRequest as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    except ReportUnavailable as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 1
    except ERRORS as exc:
        print(f"cannot read {redact(cfg.storage.location)}: {exc}", file=sys.stderr)
        return 1
    if args.output:
        try:
            with open(args.output, "wb") as f:
                f.write(data)
        except OSError as exc:
            print(f"report: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 1
    else:
        sys.stdout.buffer.write(data)
    return 0
