"""Central's /metrics: the fleet's current state as Prometheus metric families.

`families` turns one snapshot (house cards, open alerts, configured places) into metric
families; `FleetCollector` takes a fresh snapshot on every scrape; `exposition` answers in
the format the scraper asked for (OpenMetrics or the text format 0.0.4). Every label value
is bounded: house ids central knows, the configured places, and words declared here, in the
vocabulary (protocol/words.py) or in the catalogue.
Pure: standard library, prometheus_client, protocol and central (alerts, config, i18n) only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily,
                                    Metric)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from protocol.vocabulary import METRICS, MetricSpec

from . import i18n
from .alerts import KINDS
from .config import PLACE_LEVELS

PREFIX = "culturehouse_"
LABELS = ("house",) + PLACE_LEVELS
# The vocabulary's unit -> (Prometheus base unit, factor to it, wire suffix the name drops).
UNITS = {"": ("", 1, ""), "seconds": ("seconds", 1, "_s"), "celsius": ("celsius", 1, "_c"),
         "MiB": ("bytes", 1 << 20, "_mb"), "percent": ("ratio", 0.01, "_pct"),
         "bytes": ("bytes", 1, "")}
# The words a state metric may take (the vocabulary keeps them open: a newer edge may add
# one); anything else is exported as "other", so a house cannot grow the label set.
STATES = {
    "print.state": ("idle", "processing", "stopped", "unreachable", "missing", "unknown"),
    "print.monitor": ("starting", "subscription", "polling"),
    "scan.state": ("searching", "missing", "idle", "scanning", "waiting", "fault"),
}
OTHER = "other"
PRINT_REASONS = METRICS["print.reasons"].name
# Printer reasons the dashboard has words for (base keywords); any other is "other".
REASONS = frozenset(k.removeprefix("reason.") for k in i18n.with_prefixes("en", ("reason.",)))
# Today's figures of a house card (central's roll-ups, local day) -> exported name, help.
TODAY = (("pages", "today_printed_pages", "pages printed today (local day, central's count)"),
         ("print_jobs", "today_print_jobs", "print jobs completed today"),
         ("scans", "today_scans", "scans completed today"),
         ("copies", "today_copies", "copies printed today"),
         ("users", "today_wifi_users", "distinct Wi-Fi devices today"))


@dataclass(frozen=True)
class Snapshot:
    """What one scrape exports: cards as queries.house_cards makes them, central's open
    alerts, each configured house's place and name, and central's health."""

    cards: list[dict]
    alerts: list[dict]
    places: dict[str, dict[str, str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    health: dict = field(default_factory=dict)


def exported(spec: MetricSpec) -> tuple[str, str, float]:
    """(family name without `_total` and unit, Prometheus unit, factor) of a vocabulary
    metric: `sys.mem_available_mb` -> (culturehouse_sys_mem_available, bytes, 1048576)."""
    unit, factor, suffix = UNITS[spec.unit]
    base = spec.name.removesuffix(".total") if spec.kind == "counter" else spec.name
    base = re.sub(r"[^a-zA-Z0-9_]", "_", base)
    base = base.removesuffix(suffix) if suffix else base
    return PREFIX + base.removesuffix("_" + unit) if unit else PREFIX + base, unit, factor


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


class _Families:
    """Families by name, made on first use, in the order they were first asked for."""

    def __init__(self):
        self.made: dict[str, Metric] = {}

    def get(self, make: Callable[..., Metric], name: str, text: str, labels: Iterable[str],
            unit: str = "") -> Metric:
        key = f"{name}_{unit}" if unit else name  # as prometheus_client names it
        if key not in self.made:
            extra = {"unit": unit} if unit else {}
            self.made[key] = make(name, text, labels=list(labels), **extra)
        return self.made[key]


def families(snap: Snapshot) -> list[Metric]:
    """Every family /metrics exposes, with one sample per house (and state or reason)."""
    out = _Families()
    gauge = GaugeMetricFamily
    online = out.get(gauge, PREFIX + "house_online", "1 while the house is online and heard "
                     "from (heartbeat not stale)", LABELS)
    seen = out.get(gauge, PREFIX + "house_last_seen_timestamp", "when central last heard from "
                   "the house (unix time)", LABELS, "seconds")
    info = out.get(InfoMetricFamily, PREFIX + "house", "the house's configured name and place",
                   LABELS)
    waiting = out.get(gauge, PREFIX + "help_waiting", "HELP requests of the last day nobody "
                      "has acknowledged yet", LABELS)
    today = [(key, out.get(gauge, PREFIX + name, text, LABELS)) for key, name, text in TODAY]
    specs = sorted(METRICS.values(), key=lambda s: s.name)
    for spec in specs:  # every declared metric is described, also before any house sent it
        _family(out, spec)
    for card in snap.cards:
        house = card["house"]
        labels = _labels(snap, house)
        online.add_metric(labels, 1 if card["online"] else 0)
        if card.get("last_seen"):
            seen.add_metric(labels, card["last_seen"] / 1000)
        info.add_metric(labels, {"name": snap.names.get(house, card.get("name", ""))})
        waiting.add_metric(labels, len(card.get("help") or []))
        for key, family in today:
            family.add_metric(labels, (card.get("today") or {}).get(key, 0))
        metrics = card.get("metrics") or {}
        for spec in specs:
            if spec.name in metrics:
                _sample(_family(out, spec), spec, labels, metrics[spec.name])
    raised = out.get(gauge, PREFIX + "alert", "1 while central's own alert of this kind is "
                     "raised (docs/dashboard.md)", LABELS + ("kind",))
    for a in snap.alerts:
        if a["kind"] in KINDS:
            raised.add_metric(_labels(snap, a["house"]) + [a["kind"]], 1)
    _central(out, snap.health)
    return list(out.made.values())


def _labels(snap: Snapshot, house: str) -> list[str]:
    """The values of LABELS for one house: its id and its configured place ("" unplaced)."""
    place = snap.places.get(house) or {}
    return [house] + [place.get(level, "") for level in PLACE_LEVELS]


def _family(out: _Families, spec: MetricSpec) -> Metric:
    if spec.name in STATES:
        return out.get(GaugeMetricFamily, PREFIX + re.sub(r"\W", "_", spec.name),
                       f"{spec.text} (1 for the current state)", LABELS + ("state",))
    if spec.name == PRINT_REASONS:
        return out.get(GaugeMetricFamily, PREFIX + "print_reason",
                       f"{spec.text}: 1 for each one the printer reports", LABELS + ("reason",))
    name, unit, _ = exported(spec)
    make = CounterMetricFamily if spec.kind == "counter" else GaugeMetricFamily
    return out.get(make, name, spec.text, LABELS, unit)


def _sample(family: Metric, spec: MetricSpec, labels: list[str], value) -> None:
    if spec.name in STATES:
        known = STATES[spec.name]
        current = value if value in known else OTHER
        for state in known + (OTHER,):
            family.add_metric(labels + [state], 1 if state == current else 0)
    elif spec.name == PRINT_REASONS:
        words = {i18n.base_reason(r) for r in value if isinstance(r, str) and r != "none"}
        for word in sorted({w if w in REASONS else OTHER for w in words}):
            family.add_metric(labels + [word], 1)
    elif (number := _number(value)) is not None:
        family.add_metric(labels, number * UNITS[spec.unit][1])


def _central(out: _Families, health: dict) -> None:
    """Central's own state: the broker link and what it stored since it started."""
    if not health:
        return
    out.get(GaugeMetricFamily, PREFIX + "central_broker_connected",
            "1 while central is connected to the broker", ()).add_metric(
        [], 1 if health.get("broker") else 0)
    out.get(CounterMetricFamily, PREFIX + "central_messages_stored",
            "messages central stored since it started", ()).add_metric(
        [], health.get("stored_total", 0))


class FleetCollector:
    """A prometheus_client collector that reads a fresh snapshot on every scrape."""

    def __init__(self, snapshot: Callable[[], Snapshot]):
        self.snapshot = snapshot

    def describe(self) -> list:
        return []  # nothing to check at registration; the names are fixed above

    def collect(self) -> list[Metric]:
        return families(self.snapshot())


def registry_for(snapshot: Callable[[], Snapshot]) -> CollectorRegistry:
    """A registry of its own per central (nothing shared between apps or tests)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(snapshot))
    return registry


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """(body, content type) in the format `accept` asks for: OpenMetrics when the scraper
    offers it (Prometheus does), else the text format 0.0.4."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
