"""The dashboard as a process of its own (`--parts web`), reading the database a collector
process writes: houses, HELP acknowledgements, commands and their results, and the alerts
the collector publishes."""
from __future__ import annotations

import protocol
from central.app import parts_problem
from harness.procs import wait_for
from tests.central.conftest import Client

T = protocol.Topics()


def split(make_central):
    """A collector with the alerts, and a dashboard with its own MQTT user."""
    collector = make_central(("collector", "alerts"),
                             alerts={"interval": "1s", "printer_after": "0s"})
    web = make_central(("web",), mqtt={"username": "central-web"})
    return collector, web, Client(f"http://127.0.0.1:{web.web.port}")


def test_parts_must_be_known_and_alerts_need_a_collector():
    assert parts_problem(("collector", "alerts", "web")) == ""
    assert parts_problem(("web",)) == ""
    assert "choose" in parts_problem(("ingest",))
    assert "beside a collector" in parts_problem(("web", "alerts"))


def test_a_dashboard_process_shows_what_the_collector_process_stored(make_central, houses):
    collector, web, client = split(make_central)
    assert collector.web is None and web.collector is None
    house = houses("house-01")
    house.online()
    house.telemetry({"print.queue_held": 2})
    client.login("viewer")
    card = wait_for(lambda: next((h for h in client.get("/api/houses?metrics=1").json()["houses"]
                                  if h["house"] == "house-01"
                                  and h["metrics"].get("print.queue_held") == 2), None),
                    15, what="the collector's row on the dashboard")
    assert card["online"] is True
    assert client.get("/healthz").json()["parts"] == ["web"]


def test_a_dashboard_process_acknowledges_help_and_sends_the_ack(make_central, houses):
    _, _, client = split(make_central)
    house = houses("house-01")
    house.online()
    house.event("help.requested", {"request": 5})
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").json().get("help"), 15,
             what="help request shown")
    assert client.post("/api/houses/house-01/help_ack").json()["acknowledged"] == 1
    topic, payload = house.commands.get(timeout=10)
    assert topic.endswith("/house-01/cmd/help_ack")
    assert protocol.parse_command("help_ack", payload).args == {"request": 5}


def test_a_dashboard_process_hears_the_result_of_its_own_command(make_central, houses):
    _, web, _ = split(make_central)
    house = houses("house-01")
    house.online()
    req_id = web.send_command("house-01", "ping", {})
    topic, _ = house.commands.get(timeout=10)
    assert topic.endswith("/house-01/cmd/ping")
    house.client.publish(T.cmd_result("house-01"), protocol.build_cmd_result(
        protocol.CommandResult(req_id, "ping", True, {"pong": 1})), qos=1).wait_for_publish(10)
    sent = wait_for(lambda: (s := web.link.cmd_result(req_id)) and s.result and s, 10,
                    what="the result at the dashboard")
    assert sent.result.ok and sent.house == "house-01"


def test_a_dashboard_process_shows_the_collectors_alerts(make_central, houses):
    _, _, client = split(make_central)
    house = houses("house-01")
    house.online()
    house.telemetry({"print.state": "stopped", "print.reasons": ["media-jam-error"]})
    client.login("viewer")
    alerts = wait_for(lambda: client.get("/api/alerts").json()["alerts"], 20,
                      what="the alert on the dashboard")
    assert alerts[0]["house"] == "house-01" and alerts[0]["text"]
