"""docs/integrations.md shows what the contract publishes: its commands' topics and the
Node-RED flow's nodes read topics and payload fields the code really builds."""
from __future__ import annotations

import json
import re
from pathlib import Path

import protocol

DOC = Path(__file__).resolve().parent.parent / "docs" / "integrations.md"
TEXT = DOC.read_text()
T = protocol.Topics()


def test_the_mosquitto_sub_command_subscribes_to_the_telemetry_topic_of_every_house():
    assert f"mosquitto_sub -h 127.0.0.1 -p PORT -t '{T.telemetry('+')}' -v" in TEXT


def test_the_node_red_flow_parses_and_reads_json_from_the_telemetry_topic():
    (flow,) = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", TEXT, re.S)]
    nodes = {n["id"]: n for n in flow}
    (mqtt_in,) = [n for n in flow if n["type"] == "mqtt in"]
    assert mqtt_in["topic"] == T.telemetry("+") and mqtt_in["datatype"] == "json"
    assert nodes[mqtt_in["broker"]]["type"] == "mqtt-broker"
    for node in flow:  # every wire leads to a node of the flow
        assert all(target in nodes for wire in node.get("wires", []) for target in wire)
    payload = json.loads(protocol.build_telemetry(protocol.Telemetry(
        "house-01", "b", 1, 1, {"print.pages.total": 3}, full=True)))
    func = nodes["ch-state"]["func"]
    for key in ("house", "full", "metrics"):
        assert f"s.{key}" in func and key in payload
    assert "print.pages.total" in nodes["ch-pages"]["rules"][0]["to"]


def test_the_page_links_the_prometheus_guide():
    assert "(prometheus.md)" in TEXT and "## Prometheus and Grafana" in TEXT
