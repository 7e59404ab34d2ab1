"""The shipped config/prometheus/ and config/grafana/: promtool checks and unit-tests the
alert rules, and every metric name the rules and the Grafana dashboard use is one central's
exporter really writes."""
from __future__ import annotations

import shutil
import subprocess

from tests.central.promnames import (DASHBOARD, RULES, dashboard_queries, exposed_names,
                                     load_dashboard, names_in)

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
RULES_TEST = RULES.with_name("culturehouse.rules.test.yml")
SCRAPE_CONFIG = RULES.with_name("prometheus.yml")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60,
                          cwd=RULES.parent)


def test_promtool_accepts_the_alert_rules():
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_the_alert_rules_fire_as_their_unit_tests_expect():
    done = promtool("test", "rules", str(RULES_TEST))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_accepts_the_scrape_config_with_its_rules():
    done = promtool("check", "config", str(SCRAPE_CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_rule_uses_metrics_the_exporter_writes():
    used = names_in([RULES.read_text()])
    assert {"culturehouse_house_online", "culturehouse_print_state", "culturehouse_scan_state",
            "culturehouse_help_waiting"} <= used
    assert used <= exposed_names(), used - exposed_names()


def test_every_grafana_query_uses_metrics_the_exporter_writes():
    queries = dashboard_queries(load_dashboard())
    used = names_in(queries)
    assert len(queries) >= 10 and len(used) >= 8, DASHBOARD
    assert used <= exposed_names(), used - exposed_names()


def test_the_grafana_dashboard_filters_by_region():
    variables = {v["name"]: v for v in load_dashboard()["templating"]["list"]}
    assert {"province", "district", "commune"} <= set(variables)
    for query in dashboard_queries(load_dashboard()["panels"]):
        assert 'province=~"$province"' in query and 'commune=~"$commune"' in query, query


def test_a_wrong_name_in_a_query_would_be_found():
    assert names_in(['sum(culturehouse_pages_printed_total{house="x"})']) - exposed_names() == {
        "culturehouse_pages_printed_total"}


def test_the_prometheus_page_names_every_series_the_exporter_writes():
    page = (RULES.parents[2] / "docs" / "prometheus.md").read_text()
    assert sorted(n for n in exposed_names() if f"`{n}" not in page) == []
