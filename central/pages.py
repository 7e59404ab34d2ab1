"""HTML made on the server from Jinja2 templates (central/templates/, escaped by default):
the login form, the overview's shell, the house page with its SVG charts.

Whatever a house sent reaches a page only through the templates' escaping; the overview
itself is filled by static/app.js from the JSON API (as text, never as HTML).
Pure but for reading the store: standard library, jinja2, protocol and central only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


from . import i18n, queries
from .rollups import COPY_JOBS, PRINT_PAGES, SCAN_JOBS, WIFI_PEAK, stored_timezone, zone

CHARTS = (PRINT_PAGES, SCAN_JOBS, COPY_JOBS, WIFI_PEAK)
# (step, days shown, heading) of the house page's two rows of charts
CHART_ROWS = (("hour", 7, "dashboard.per_hour"), ("day", 30, "dashboard.per_day"))
EVENT_TEXT = 80  # characters of an event's data shown on the house page

TEMPLATES = Environment(
    loader=PackageLoader("central", "templates"),
    autoescape=select_autoescape(("html", "svg"), default_for_string=True, default=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _render(template: str, lang: str, **values) -> bytes:
    """A page in `lang`; `t(key, **params)` in the templates looks words up in the catalogue."""
    page = TEMPLATES.get_template(template).render(
        lang=lang, other="en" if lang == "vi" else "vi", t=partial(i18n.t, lang), **values)
    return page.encode("utf-8", "replace")  # a stray lone surrogate becomes "?", not a 500


def login(lang: str, error: str = "") -> bytes:
    return _render("login.html", lang, title=i18n.t(lang, "dashboard.login"), script="",
                   error=error)


def overview(lang: str) -> bytes:
    return _render("overview.html", lang, title=i18n.t(lang, "dashboard.title"),
                   script="app.js")


# ----- charts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    tip: str


@dataclass(frozen=True)
class Tick:
    x: str
    label: str


@dataclass(frozen=True)
class Chart:
    """One bar chart, every number already formatted for the SVG (templates/chart.html)."""

    label: str
    top: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: int = 640
    height: int = 160
    pad: int = 28

    @property
    def base(self) -> int:
        return self.height - self.pad

    @property
    def tick_y(self) -> int:
        return self.height - 8


def _amount(value) -> float:
    """A bucket's value as a bar height: anything that is not a finite number ≥ 0 is 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return value if math.isfinite(value) and value > 0 else 0


def figure(value: float) -> str:
    """A figure as people read it: whole numbers exactly, others to 6 significant digits."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}"


def build_chart(points: list[list], label: str, tz_name: str, hourly: bool) -> Chart:
    """One bar per [bucket start ms, value]; a date under each midnight (or every 5th day)."""
    frame = Chart(label, "", (), ())
    values = [_amount(v) for _, v in points]
    top = max(values, default=0) or 1
    step = (frame.width - frame.pad) / max(1, len(points))
    usable = frame.height - 2 * frame.pad
    bars, ticks = [], []
    for i, ((ms, _), value) in enumerate(zip(points, values)):
        high = usable * value / top
        x = frame.pad + i * step
        when = datetime.fromtimestamp(ms / 1000, zone(tz_name))
        tip = f'{when.strftime("%d/%m %H:00" if hourly else "%d/%m")}: {figure(value)}'
        bars.append(Bar(f"{x:.1f}", f"{frame.base - high:.1f}", f"{max(step - 1, 0.5):.1f}",
                        f"{high:.1f}", tip))
        if (hourly and when.hour == 0) or (not hourly and i % 5 == 0):
            ticks.append(Tick(f"{x:.1f}", when.strftime("%d/%m")))
    return Chart(label, figure(top), tuple(bars), tuple(ticks))


# ----- the house page -------------------------------------------------------------------

def word(lang: str, prefix: str, value: str) -> str:
    """A state or cause in words; one the catalogue does not know is shown as it is."""
    return i18n.t(lang, prefix + value) if i18n.known(prefix + value) else value


def event_text(data) -> str:
    """The first few plain values of an event's data, "key=value, …", at most EVENT_TEXT long."""
    if not isinstance(data, dict):
        return ""
    return ", ".join(f"{k}={v}" for k, v in list(data.items())[:4]
                     if isinstance(v, (int, float, str)))[:EVENT_TEXT]


def house_view(lang: str, card: dict, charts: list[dict], events: list[dict],
               outages: list[dict], tz_name: str) -> dict:
    """What templates/house_main.html shows, as text (the template escapes it)."""
    def at(ms: int) -> str:
        return f"{datetime.fromtimestamp(ms / 1000, zone(tz_name)):%d/%m %H:%M}"

    p = card["printer"]
    printer = word(lang, "state.", p["state"] or "unknown")
    reasons = ", ".join(i18n.reason_words(lang, r) for r in p["reasons"])
    state = i18n.t(lang, "dashboard.online") if card["online"] else (
        f'{i18n.t(lang, "dashboard.offline")} ({word(lang, "cause.", card["cause"])})')
    return {
        "house": card["house"], "name": card["name"] or card["house"], "online": card["online"],
        "state": state, "printer": f"{printer} — {reasons}" if reasons else printer,
        "scanner": word(lang, "state.", card["scanner"]["state"] or "unknown"),
        "wifi": "—" if card["wifi_now"] is None else figure(card["wifi_now"]),
        "charts": charts,
        "events": [{"when": at(e["ts"]), "type": e["type"], "data": event_text(e["data"])}
                   for e in events],
        # an open outage's cause is the house's own word: shown only when the catalogue knows it
        "outages": [{"when": at(o["start"]), "cause": i18n.t(lang, "cause." + o["cause"])
                     if i18n.known("cause." + o["cause"]) else ""} for o in outages],
    }


def house(lang: str, card: dict, db, now_ms: int, fragment: bool = False) -> bytes:
    """The house page, or only its #house-main (for static/house.js to refresh)."""
    tz_name = stored_timezone(db)
    charts = [{"title": i18n.t(lang, heading), "charts": [
        build_chart(queries.series(db, card["house"], metric, now_ms - days * 86_400_000,
                                   now_ms, step),
                    i18n.t(lang, "metric." + metric), tz_name, step == "hour")
        for metric in CHARTS]} for step, days, heading in CHART_ROWS]
    view = house_view(lang, card, charts, queries.recent_events(db, card["house"], 30),
                      queries.outages(db, card["house"], now_ms - 30 * 86_400_000), tz_name)
    return house_page(lang, view, fragment)


def house_page(lang: str, view: dict, fragment: bool = False) -> bytes:
    if fragment:
        return _render("house_main.html", lang, view=view)
    return _render("house.html", lang, view=view, title=view["name"], script="house.js")

