"""config/telegraf/culturehouse.conf reads what the edge really publishes: its topics, JSON
paths and metric names are the contract's (protocol/words.py). Debian ships no telegraf, so
the file is checked here rather than run."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import protocol
from protocol.words import EVENTS, METRICS

CONF = Path(__file__).resolve().parent.parent / "config" / "telegraf" / "culturehouse.conf"
T = protocol.Topics()
BOOT = "3c75032514c74c58a7f848719086ec3c"
PAYLOADS = {  # what each consumer's topic carries, built by the contract
    T.telemetry("+"): protocol.build_telemetry(protocol.Telemetry(
        "house-01", BOOT, 7, 1_764_043_260_000, {"print.pages.total": 3}, full=True)),
    T.event("+"): protocol.build_event(protocol.Event(
        "house-01", BOOT, 8, 1_764_043_275_000, "print.job_completed", {"job": 1, "pages": 3})),
    T.status("+"): protocol.build_status(protocol.Status(
        "house-01", True, BOOT, 1_764_043_200_000, "0.1.0")),
}


def consumers() -> list[dict]:
    return tomllib.loads(CONF.read_text())["inputs"]["mqtt_consumer"]


def get(obj: dict, path: str):
    """A plain GJSON path (dots between keys, `\\.` inside one)."""
    for key in path.replace("\\.", "\0").split("."):
        obj = obj[key.replace("\0", ".")]
    return obj


def test_each_consumer_reads_a_topic_the_contract_publishes_with_the_json_v2_parser():
    seen = [topic for c in consumers() for topic in c["topics"]]
    assert sorted(seen) == sorted(PAYLOADS)
    assert all(c["data_format"] == "json_v2" and c["qos"] == 1 for c in consumers())


@pytest.mark.parametrize("consumer", consumers(), ids=lambda c: c["topics"][0])
def test_every_json_path_exists_in_the_payload_of_its_topic(consumer):
    obj = json.loads(PAYLOADS[consumer["topics"][0]])
    for parser in consumer["json_v2"]:
        assert isinstance(get(obj, parser["timestamp_path"]), int)
        paths = [t["path"] for t in parser.get("tag", [])]
        paths += [f["path"] for f in parser.get("field", []) if not f.get("optional")]
        paths += [o["path"] for o in parser.get("object", [])]
        for path in paths:
            get(obj, path)


def test_the_metric_names_are_the_vocabularys_and_every_list_metric_is_left_out():
    (telemetry,) = [c for c in consumers() if c["topics"] == [T.telemetry("+")]]
    (obj,) = telemetry["json_v2"][0]["object"]
    assert obj["path"] == "metrics" and obj["disable_prepend_keys"] is True
    named = set(obj["excluded_keys"]) | set(obj["fields"])
    assert named <= set(METRICS)
    lists = {name for name, m in METRICS.items() if m.value.type == "keywords"}
    assert lists and lists <= set(obj["excluded_keys"])
    for name, kind in obj["fields"].items():
        assert kind == "int" and METRICS[name].value.type == "int", name


def test_optional_event_fields_are_data_keys_some_event_declares():
    (events,) = [c for c in consumers() if c["topics"] == [T.event("+")]]
    keys = {key for e in EVENTS.values() for key in e.data}
    for field in events["json_v2"][0]["field"]:
        if field["path"].startswith("data."):
            assert field["path"].removeprefix("data.") in keys
