"""What central's exporter exposes, read from its own output, and the metric names a PromQL
text uses: the Grafana dashboard's and the alert rules' tests compare the two."""
from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from central import exporter
from protocol.vocabulary import METRICS

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "config" / "grafana" / "culturehouse-fleet.json"
RULES = REPO / "config" / "prometheus" / "culturehouse.rules.yml"
NAME = re.compile(r"\b(culturehouse_[a-zA-Z0-9_:]+)")
SAMPLE_VALUES = {"int": 1, "number": 1.5, "keyword": "idle", "keywords": ["media-empty"],
                 "str": "x", "bool": True, "date": "2026-11-01", "counts": {}, "any": 1}


def every_metric() -> dict:
    """A value of the declared type for every metric of the vocabulary."""
    return {name: SAMPLE_VALUES[spec.value.type] for name, spec in METRICS.items()}


def full_card(house: str, **changes) -> dict:
    card = {"house": house, "name": "", "online": True, "last_seen": 1_764_400_000_000,
            "help": [{"seq": 1, "ts": 1}], "metrics": every_metric(),
            "today": {"pages": 3, "print_jobs": 1, "scans": 2, "copies": 1, "users": 4}}
    return {**card, **changes}


def sample_names(text: str) -> set[str]:
    """The sample names of an exposition in the text format 0.0.4."""
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def exposed_names() -> set[str]:
    """Every sample name the exporter writes for a house that sent every declared metric
    and has an open alert (its own output, parsed)."""
    snap = exporter.Snapshot([full_card("house-01")],
                             [{"house": "house-01", "kind": "help.unacked"}],
                             {"house-01": {"province": "P", "district": "D", "commune": "C"}},
                             {"house-01": "Nhà"}, {"broker": True, "stored_total": 3})
    body, _ = exporter.exposition(exporter.registry_for(lambda: snap), None)
    return sample_names(body.decode())


def dashboard_queries(dashboard: dict) -> list[str]:
    """Every PromQL text of a Grafana dashboard: panel targets and template variables."""
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "definition") and isinstance(value, str):
                    found.append(value)
                elif key == "query" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(dashboard)
    return found


def names_in(queries: list[str]) -> set[str]:
    return {name for q in queries for name in NAME.findall(q)}


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())
