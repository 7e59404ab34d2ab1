"""HTML made on the server from Jinja2 templates (central/templates/, escaped by default):
the login form, the overview's shell, the house page with its SVG charts.

Whatever a house sent reaches a page only through the templates' escaping; the overview
itself is filled by static/app.js from the JSON API (as text, never as HTML).
Pure but for reading the store: standard library, jinja2, protocol and central only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


from . import i18n, queries, sentences
from .rollups import COPY_JOBS, PRINT_PAGES, SCAN_JOBS, WIFI_PEAK, stored_timezone

CHARTS = (PRINT_PAGES, SCAN_JOBS, COPY_JOBS, WIFI_PEAK)
# (step, days shown, heading) of the house page's two rows of charts
CHART_ROWS = (("hour", 7, "dashboard.per_hour"), ("day", 30, "dashboard.per_day"))
TICK_ROOM = 36  # chart units a "dd/mm" date needs to the right of its tick

TEMPLATES = Environment(
    loader=PackageLoader("central", "templates"),
    autoescape=select_autoescape(("html", "svg"), default_for_string=True, default=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _render(template: str, lang: str, **values) -> bytes:
    """A page in `lang`; `t(key, **params)` in the templates looks words up in the catalogue."""
    script = values.pop("script", "")  # every page's script gets the shared words.js first
    page = TEMPLATES.get_template(template).render(
        lang=lang, other="en" if lang == "vi" else "vi", t=partial(i18n.t, lang),
        scripts=("words.js", script) if script else (), demo=values.pop("demo", False),
        **values)
    return page.encode("utf-8", "replace")  # a stray lone surrogate becomes "?", not a 500


def login(lang: str, error: str = "") -> bytes:
    return _render("login.html", lang, title=i18n.t(lang, "dashboard.login"), script="",
                   error=error)


def overview(lang: str, demo: bool = False) -> bytes:
    """The overview's shell; `demo` shows the sample-data banner (harness/demo_history.py)."""
    return _render("overview.html", lang, title=i18n.t(lang, "dashboard.title"),
                   script="app.js", demo=demo)


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
    """A date under the x axis: weekday on one line, day/month under it."""

    x: str
    day: str
    label: str
    anchor: str = "start"  # "end" near the right edge, so the date is not cut off


@dataclass(frozen=True)
class Level:
    """A value on the y axis with its grid line."""

    y: str
    label: str


@dataclass(frozen=True)
class Chart:
    """One bar chart, every number already formatted for the SVG (templates/chart.html).
    Drawn 360 units wide: on a 360 px phone its 12-unit text stays about 11 px high."""

    label: str
    note: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    levels: tuple[Level, ...]
    width: int = 360
    height: int = 200
    left: int = 38
    top: int = 10
    bottom: int = 40

    @property
    def base(self) -> int:
        return self.height - self.bottom

    @property
    def day_y(self) -> int:
        return self.base + 16

    @property
    def date_y(self) -> int:
        return self.base + 31

    @property
    def label_x(self) -> int:
        return self.left - 4


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


def nice_top(value: float) -> float:
    """The y axis's top: the smallest of 1, 2, 4, 6, 8 × 10^k (at least 2) not below `value`,
    so that its half, the middle label, is a whole number too."""
    if value <= 2:
        return 2
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 4, 6, 8, 10) if m * power >= value)


def build_chart(points: list[list], label: str, tz_name: str, hourly: bool, lang: str = "vi",
                unit: str = "", peak: bool = False) -> Chart:
    """One bar per [bucket start ms, value]; y labels at 0, half and top; under each local
    midnight (hourly) or every 7th day (daily) its weekday and date in the house's zone."""
    frame = Chart(label, "", (), (), ())
    values = [_amount(v) for _, v in points]
    top = nice_top(max(values, default=0))
    step = (frame.width - frame.left) / max(1, len(points))
    usable = frame.base - frame.top
    bars, ticks = [], []
    for i, ((ms, _), value) in enumerate(zip(points, values)):
        high = usable * value / top
        x = frame.left + i * step
        when = sentences.local(ms, tz_name)
        tip = f'{when.strftime("%d/%m %H:00" if hourly else "%d/%m")}: {figure(value)} {unit}'
        bars.append(Bar(f"{x:.1f}", f"{frame.base - high:.1f}", f"{max(step - 1, 0.5):.1f}",
                        f"{high:.1f}", tip.strip()))
        if (hourly and when.hour == 0) or (not hourly and i % 7 == 0):
            end = x > frame.width - TICK_ROOM
            ticks.append(Tick(f"{x + step if end else x:.1f}", sentences.weekday(lang, when),
                              when.strftime("%d/%m"), "end" if end else "start"))
    levels = tuple(Level(f"{frame.base - usable * share:.1f}", figure(top * share))
                   for share in (0, 0.5, 1))
    amount = max(values, default=0) if peak else sum(values)
    note = i18n.t(lang, "dashboard.peak" if peak else "dashboard.total", n=figure(amount),
                  unit=unit)
    return Chart(label, note, tuple(bars), tuple(ticks), levels)


# ----- the house page -------------------------------------------------------------------

def word(lang: str, prefix: str, value: str) -> str:
    """A state or cause in words; one the catalogue does not know is shown as it is."""
    return i18n.t(lang, prefix + value) if i18n.known(prefix + value) else value


def house_view(lang: str, card: dict, charts: list[dict], events: list[dict],
               outages: list[dict], tz_name: str, now_ms: int = 0, demo: bool = False) -> dict:
    """What templates/house_main.html shows, as text (the template escapes it)."""
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
        "charts": charts, "demo": demo, "zone": tz_name,
        "times_in": i18n.t(lang, "dashboard.times_in",
                           zone=sentences.zone_label(lang, tz_name, now_ms)),
        "events": [{"when": sentences.at(e["ts"], tz_name), "iso": _iso(e["ts"], tz_name),
                    "text": sentences.event_sentence(lang, e["type"], e["data"])}
                   for e in events],
        # an open outage's cause is the house's own word: shown only when the catalogue knows it
        "outages": [{"when": sentences.at(o["start"], tz_name),
                     "cause": i18n.t(lang, "cause." + o["cause"])
                     if i18n.known("cause." + o["cause"]) else ""} for o in outages],
    }


def _iso(ms: int, tz_name: str) -> str:
    return sentences.local(ms, tz_name).isoformat(timespec="minutes")


def house(lang: str, card: dict, db, now_ms: int, fragment: bool = False) -> bytes:
    """The house page, or only its #house-main (for static/house.js to refresh)."""
    tz_name = stored_timezone(db)
    charts = [{"title": i18n.t(lang, heading), "charts": [
        build_chart(queries.series(db, card["house"], metric, now_ms - days * 86_400_000,
                                   now_ms, step),
                    i18n.t(lang, "metric." + metric), tz_name, step == "hour", lang,
                    i18n.t(lang, "unit." + metric), peak=metric == WIFI_PEAK)
        for metric in CHARTS]} for step, days, heading in CHART_ROWS]
    view = house_view(lang, card, charts, queries.recent_events(db, card["house"], 30),
                      queries.outages(db, card["house"], now_ms - 30 * 86_400_000), tz_name,
                      now_ms, queries.demo_seed(db) is not None)
    return house_page(lang, view, fragment)


def house_page(lang: str, view: dict, fragment: bool = False) -> bytes:
    if fragment:
        return _render("house_main.html", lang, view=view)
    return _render("house.html", lang, view=view, title=view["name"], script="house.js",
                   demo=view["demo"])

