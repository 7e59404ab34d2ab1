"""HTML made on the server: the login form, the house page with inline SVG charts, /metrics.

The overview page is static (static/index.html + app.js) and reads the JSON API.
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape
from importlib import resources

from protocol.vocabulary import METRICS

from . import i18n, queries
from .rollups import COPY_JOBS, PRINT_PAGES, SCAN_JOBS, WIFI_PEAK, stored_timezone, zone

CHARTS = (PRINT_PAGES, SCAN_JOBS, COPY_JOBS, WIFI_PEAK)


def _shell(lang: str, title: str, body: str, script: str = "") -> bytes:
    js = f'<script src="/static/{script}" defer></script>' if script else ""
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/style.css">{js}'
            f'</head><body>{body}</body></html>').encode()


def login(lang: str, error: str = "") -> bytes:
    t = lambda k: escape(i18n.t(lang, k))  # noqa: E731
    other = "en" if lang == "vi" else "vi"
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (f'<header><h1>{t("dashboard.title")}</h1><a class="lang" '
            f'href="/login?lang={other}">{t("other_language")}</a></header><main class="login">'
            f'<form method="post" action="/login?lang={lang}">{err}<label>{t("dashboard.user")}'
            f'<input name="user" id="user" autocomplete="username" required></label><label>'
            f'{t("dashboard.password")}<input type="password" name="password" id="password" '
            f'autocomplete="current-password" required></label><button type="submit" id="login">'
            f'{t("dashboard.login")}</button></form></main>')
    return _shell(lang, i18n.t(lang, "dashboard.login"), body)


def overview(lang: str) -> bytes:
    page = resources.files("central").joinpath("static/index.html").read_text()
    return page.replace('lang="vi"', f'lang="{lang}"', 1).encode()


def svg_bars(points: list[list], label: str, tz_name: str, hourly: bool) -> str:
    """A bar chart as inline SVG (no script, no library): one bar per bucket."""
    w, h, pad = 640, 160, 28
    top = max((p[1] for p in points), default=0) or 1
    bw = (w - pad) / max(1, len(points))
    bars, ticks = [], []
    for i, (ms, value) in enumerate(points):
        bh = (h - 2 * pad) * value / top
        x = pad + i * bw
        when = datetime.fromtimestamp(ms / 1000, zone(tz_name))
        tip = when.strftime("%d/%m %H:00" if hourly else "%d/%m")
        bars.append(f'<rect x="{x:.1f}" y="{h - pad - bh:.1f}" width="{max(bw - 1, 0.5):.1f}" '
                    f'height="{bh:.1f}"><title>{tip}: {value:g}</title></rect>')
        if (hourly and when.hour == 0) or (not hourly and i % 5 == 0):
            ticks.append(f'<text x="{x:.1f}" y="{h - 8}">{when.strftime("%d/%m")}</text>')
    return (f'<figure><figcaption>{escape(label)}</figcaption><svg viewBox="0 0 {w} {h}" '
            f'role="img" aria-label="{escape(label)}" class="chart"><text x="2" y="{pad}">'
            f'{top:g}</text><line x1="{pad}" y1="{h - pad}" x2="{w}" y2="{h - pad}"/>'
            f'{"".join(bars)}{"".join(ticks)}</svg></figure>')


def house(lang: str, card: dict, db, now_ms: int, fragment: bool = False) -> bytes:
    t = lambda k: escape(i18n.t(lang, k))  # noqa: E731
    tz_name = stored_timezone(db)
    name = escape(card["name"] or card["house"])
    state = (t("dashboard.online") if card["online"] else
             f'{t("dashboard.offline")} ({t("cause." + card["cause"])})')
    charts = []
    for step, days, label in (("hour", 7, "dashboard.per_hour"),
                              ("day", 30, "dashboard.per_day")):
        charts.append(f'<h2>{t(label)}</h2><div class="charts">')
        for metric in CHARTS:
            pts = queries.series(db, card["house"], metric, now_ms - days * 86_400_000, now_ms,
                                 step)
            charts.append(svg_bars(pts, i18n.t(lang, "metric." + metric), tz_name, step == "hour"))
        charts.append("</div>")
    events = "".join(
        f'<li><time>{datetime.fromtimestamp(e["ts"] / 1000, zone(tz_name)):%d/%m %H:%M}</time> '
        f'{escape(e["type"])} {escape(_short(e["data"]))}</li>'
        for e in queries.recent_events(db, card["house"], 30))
    outages = "".join(
        f'<li>{datetime.fromtimestamp(o["start"] / 1000, zone(tz_name)):%d/%m %H:%M} — '
        f'{t("cause." + o["cause"]) if i18n.known("cause." + o["cause"]) else ""}</li>'
        for o in queries.outages(db, card["house"], now_ms - 30 * 86_400_000))
    p = card["printer"]
    reasons = ", ".join(i18n.reason_words(lang, r) for r in p["reasons"])
    scanner = card["scanner"]["state"] or "unknown"
    wifi = "—" if card["wifi_now"] is None else escape(str(card["wifi_now"]))
    # house.js puts the operators' print-queue panel into #ops (viewers get none) and
    # reads data-online to tell "house offline" from "no answer".
    main = (f'<main id="house-main" data-house="{escape(card["house"])}" '
            f'data-online="{1 if card["online"] else 0}"><section class="card '
            f'{"on" if card["online"] else "off"}"><h2>{name}</h2><div class="state">{state}</div>'
            f'<dl><dt>{t("dashboard.printer")}</dt><dd>{t("state." + (p["state"] or "unknown"))}'
            f'{" — " + escape(reasons) if reasons else ""}</dd><dt>{t("dashboard.scanner")}</dt>'
            f'<dd>{t("state." + scanner)}</dd><dt>{t("dashboard.wifi_now")}</dt><dd>{wifi}</dd>'
            f'</dl></section><div id="ops"></div>{"".join(charts)}<h2>{t("dashboard.events")}'
            f'</h2><ul class="events">{events}</ul><h2>{t("dashboard.outages")}</h2>'
            f'<ul>{outages}</ul></main>')
    if fragment:
        return main.encode()
    other = "en" if lang == "vi" else "vi"
    head = (f'<header><a href="/" class="back">← {t("dashboard.back")}</a><h1>{name}</h1>'
            f'<a class="lang" id="lang" href="?lang={other}">{t("other_language")}</a></header>')
    return _shell(lang, card["name"] or card["house"], head + main, "house.js")


def _short(data: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in list(data.items())[:4]
                     if isinstance(v, (int, float, str)))[:80]


def _prom_name(metric: str) -> str:
    return "culturehouse_" + re.sub(r"[^a-zA-Z0-9_]", "_", metric)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(cards: list[dict], alerts: list[dict]) -> str:
    """Current values of the metrics the vocabulary declares, in the Prometheus text
    exposition format (what a house sends beyond them is not exported)."""
    series: dict[str, list[str]] = {}
    meta: dict[str, tuple[str, str]] = {}  # name -> (type, help)

    def add(name: str, labels: dict, value: float, kind: str = "gauge", text: str = "") -> None:
        body = ",".join(f'{k}="{_label(str(v))}"' for k, v in labels.items())
        series.setdefault(name, []).append(f"{name}{{{body}}} {value:g}")
        meta[name] = (kind, text)

    for c in cards:
        h = {"house": c["house"]}
        add("culturehouse_house_online", h, 1 if c["online"] else 0)
        add("culturehouse_help_open", h, len(c["help"]))
        for metric, value in sorted(c["metrics"].items()):
            spec = METRICS.get(metric)
            if spec is None:
                continue
            if spec.value.type in ("int", "number"):
                add(_prom_name(metric), h, value, spec.kind, spec.text)
            elif spec.value.type == "keywords":
                for r in value:
                    add(_prom_name(metric[:-1]), {**h, "reason": r}, 1, text=spec.text)
            elif isinstance(value, str):
                add(_prom_name(metric), {**h, "state": value}, 1, text=spec.text)
    for a in alerts:
        add("culturehouse_alert", {"house": a["house"], "kind": a["kind"]}, 1)
    out = []
    for name in sorted(series):
        kind, text = meta[name]
        if text:
            out.append(f"# HELP {name} {_help(text)}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(series[name])
    return "\n".join(out) + "\n"


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")
