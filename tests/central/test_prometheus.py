"""A real Prometheus (Debian's, private on 127.0.0.1) scrapes a real central fed by a house
over a real mosquitto, with the shipped alert rules, and answers through its HTTP API."""
from __future__ import annotations

import threading

import pytest

from central import auth
from central import config as central_config
from central.app import Central
from harness.edgeproc import write_central_config
from harness.fakehouse import FakeHouse
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for
from harness.prometheus import PrometheusServer, ScrapeJob
from tests.central.promnames import (RULES, dashboard_queries, every_metric, load_dashboard,
                                     names_in)

pytestmark = pytest.mark.integration

PASSWORD = "prometheus-pass-1"
PLACE = {"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Tiên Lữ"}
HOUSES = {"house-01": {"name": "Nhà văn hóa thôn Đông", **PLACE},
          "house-02": {"name": "Nhà văn hóa thôn Tây"}}  # configured, never heard from


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """Central with a `prometheus` viewer login and two placed houses; house-01 reports a
    stopped printer, a missing scanner and a HELP call; Prometheus scrapes every second."""
    tmp = tmp_path_factory.mktemp("prometheus")
    broker = MosquittoBroker(tmp / "mosquitto").start()
    users = {"prometheus": {"role": "viewer", "password_hash": auth.hash_password(PASSWORD)}}
    path = write_central_config(tmp / "central.toml", broker.port, tmp / "central.sqlite",
                                free_port(), users=users, houses=HOUSES)
    app = Central(central_config.load(path))
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    house = None
    prom = None
    try:
        wait_for(lambda: app.collector.connected, 10, what="central connected")
        house = FakeHouse(broker.port, "house-01")
        house.online()
        house.telemetry({**every_metric(), "print.pages.total": 42, "print.state": "stopped",
                         "print.reasons": ["toner-low"], "scan.state": "missing"})
        house.event("help.requested", {"request": 1})
        wait_for(lambda: app.store.reader().execute(
            "SELECT count(*) FROM help_requests").fetchone()[0], 10, what="stored")
        target = (f"127.0.0.1:{app.web.port}",)
        prom = PrometheusServer(tmp / "prometheus", [
            ScrapeJob("culturehouse-central", target, "prometheus", PASSWORD),
            ScrapeJob("without-login", target)], rule_files=(RULES,)).start()
        yield prom
    finally:
        if prom:
            prom.stop()
        if house:
            house.close()
        app.request_stop("test over")
        thread.join(5)
        broker.stop()


def test_prometheus_reads_a_house_series_back_with_its_place(scraped):
    [series] = scraped.wait_for_series('culturehouse_print_pages_total{house="house-01"}')
    assert series["value"][1] == "42"
    labels = series["metric"]
    assert {k: labels[k] for k in PLACE} == PLACE
    assert labels["job"] == "culturehouse-central"
    [info] = scraped.wait_for_series('culturehouse_house_info{house="house-01"}')
    assert info["metric"]["name"] == "Nhà văn hóa thôn Đông"


def test_prometheus_logs_in_with_basic_auth_and_is_refused_without(scraped):
    up = scraped.wait_for_series('up{job="culturehouse-central"} == 1')
    assert len(up) == 1
    refused = scraped.wait_for_series('up{job="without-login"} == 0')
    assert len(refused) == 1
    targets = scraped.api("targets")["activeTargets"]
    error = next(t["lastError"] for t in targets if t["labels"]["job"] == "without-login")
    assert "401" in error


def test_prometheus_gets_openmetrics_with_units_and_types(scraped):
    scraped.wait_for_series('culturehouse_sys_uptime_seconds{house="house-01"}')
    meta = wait_for(lambda: scraped.api("metadata", metric="culturehouse_sys_uptime_seconds"),
                    10, 0.5, "metadata")
    assert meta["culturehouse_sys_uptime_seconds"][0]["unit"] == "seconds"
    pages = scraped.api("metadata", metric="culturehouse_print_pages")
    assert pages["culturehouse_print_pages"][0]["type"] == "counter"


def test_every_name_the_dashboard_and_rules_use_is_stored_by_prometheus(scraped):
    scraped.wait_for_series('culturehouse_print_pages_total{house="house-01"}')
    stored = set(scraped.api("label/__name__/values"))
    used = names_in(dashboard_queries(load_dashboard()) + [RULES.read_text()])
    assert used <= stored, used - stored


def test_the_shipped_alert_rules_match_the_live_series(scraped):
    expected = {"CulturehousePrinterBlocked": "house-01", "CulturehouseScannerMissing": "house-01",
                "CulturehouseHelpUnanswered": "house-01",
                "CulturehouseHouseNotReporting": "house-02"}

    def pending():
        alerts = scraped.api("alerts")["alerts"]
        got = {a["labels"]["alertname"]: a["labels"]["house"] for a in alerts
               if "house" in a["labels"]}
        return got if expected.items() <= got.items() else None

    got = wait_for(pending, 30, 0.5, "alerts pending")
    assert "house-01" not in [h for n, h in got.items() if n == "CulturehouseHouseNotReporting"]
