"""central/exporter.py: /metrics the way Prometheus users expect it (types, units, HELP,
bounded labels, OpenMetrics or text format as asked), over plain snapshots."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as openmetrics_families

from central import exporter
from protocol.vocabulary import METRICS
from tests.central.promnames import every_metric, full_card, sample_names

PLACE = {"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Tiên Lữ"}
OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


def scrape(cards, alerts=(), places=None, accept=None) -> tuple[str, str]:
    snap = exporter.Snapshot(list(cards), list(alerts), places or {}, {}, {})
    body, content_type = exporter.exposition(exporter.registry_for(lambda: snap), accept)
    return body.decode(), content_type


def samples(text: str) -> list:
    return [s for f in openmetrics_families(text) for s in f.samples]


def test_every_declared_metric_gets_a_name_of_its_own():
    names = [exporter.exported(spec)[:2] for spec in METRICS.values()]
    full = [f"{n}_{u}" if u else n for n, u in names]
    assert len(set(full)) == len(full)


def test_counters_end_in_total_and_units_end_the_name():
    text, _ = scrape([full_card("house-01")])
    names = sample_names(text)
    for spec in METRICS.values():
        name, unit, _ = exporter.exported(spec)
        name = f"{name}_{unit}" if unit else name
        if spec.name in exporter.STATES or spec.name == exporter.PRINT_REASONS:
            continue
        assert (name + "_total" if spec.kind == "counter" else name) in names, spec.name
    assert "culturehouse_sys_uptime_seconds" in names
    assert "culturehouse_wifi_session_seconds_total" in names
    assert "culturehouse_print_pages_total" in names


def test_openmetrics_is_served_when_asked_with_unit_and_help_lines():
    text, content_type = scrape([full_card("house-01")], accept=OPENMETRICS)
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert "# UNIT culturehouse_sys_mem_available_bytes bytes" in text
    assert "# HELP culturehouse_sys_load1 load average over one minute" in text
    assert "# TYPE culturehouse_print_pages counter" in text
    assert text.endswith("# EOF\n")
    assert samples(text)  # the strict OpenMetrics parser reads it


def test_plain_text_format_without_an_accept_header():
    text, content_type = scrape([full_card("house-01")])
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE culturehouse_print_pages_total counter" in text


def test_units_are_converted_to_base_units():
    card = full_card("house-01", metrics={"sys.mem_available_mb": 512, "sys.disk_free_pct": 25})
    values = {s.name: s.value for s in samples(scrape([card], accept=OPENMETRICS)[0])}
    assert values["culturehouse_sys_mem_available_bytes"] == 512 * 1024 * 1024
    assert values["culturehouse_sys_disk_free_ratio"] == 0.25


def test_every_series_carries_the_house_and_its_configured_place():
    text, _ = scrape([full_card("house-01"), full_card("house-02")],
                     places={"house-01": PLACE}, accept=OPENMETRICS)
    for s in samples(text):
        if "house" not in s.labels:
            assert s.name.startswith("culturehouse_central_"), s
            continue
        place = PLACE if s.labels["house"] == "house-01" else dict.fromkeys(PLACE, "")
        assert {k: s.labels[k] for k in PLACE} == place, s


def test_the_state_is_one_of_every_known_state_and_the_others_are_zero():
    card = full_card("house-01", metrics={"print.state": "stopped"})
    got = {s.labels["state"]: s.value for s in samples(scrape([card], accept=OPENMETRICS)[0])
           if s.name == "culturehouse_print_state"}
    assert got == {**dict.fromkeys(exporter.STATES["print.state"] + ("other",), 0),
                   "stopped": 1}


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=64), st.lists(st.text(min_size=1, max_size=64), max_size=8))
def test_words_a_house_makes_up_never_become_new_label_values(state, reasons):
    card = full_card("house-01", metrics={**every_metric(), "print.state": state,
                                          "scan.state": state, "print.reasons": reasons})
    allowed = {"state": {w for words in exporter.STATES.values() for w in words} | {"other"},
               "reason": exporter.REASONS | {"other"}, "house": {"house-01"}, "name": {""},
               **{level: {""} for level in PLACE}}
    for s in samples(scrape([card], accept=OPENMETRICS)[0]):
        for label, value in s.labels.items():
            assert value in allowed[label], (s.name, label, value)


def test_alerts_are_exported_only_for_declared_kinds():
    alerts = [{"house": "house-01", "kind": "help.unacked"},
              {"house": "house-01", "kind": "made.up"}]
    got = [s.labels["kind"] for s in samples(scrape([full_card("house-01")], alerts,
                                                    accept=OPENMETRICS)[0])
           if s.name == "culturehouse_alert"]
    assert got == ["help.unacked"]


def test_each_registry_is_its_own():
    one = exporter.registry_for(lambda: exporter.Snapshot([full_card("house-01")], []))
    two = exporter.registry_for(lambda: exporter.Snapshot([full_card("house-02")], []))
    assert 'house="house-02"' not in exporter.exposition(one, None)[0].decode()
    assert 'house="house-01"' not in exporter.exposition(two, None)[0].decode()
