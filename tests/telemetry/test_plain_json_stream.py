"""Any MQTT tool can read the live stream: a plain paho client, with json.loads and nothing of
ours, reads every live message a real edge agent and central publish as UTF-8 JSON."""
from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from harness.procs import wait_for
from tests.telemetry.helpers import start_collector

pytestmark = pytest.mark.integration
ROOT = "culturehouse/v1"


class PlainSubscriber:
    """An MQTT 5 subscriber to culturehouse/v1/# that keeps topic, payload and properties."""

    def __init__(self, port: int):
        self.seen: list[tuple[str, bytes, object]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="plain-subscriber",
                                  protocol=mqtt.MQTTv5)
        self.ready = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{ROOT}/#", qos=1)
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.ready.wait(10), "subscribed"

    def _on_message(self, client, userdata, msg) -> None:
        with self.lock:
            self.seen.append((msg.topic, bytes(msg.payload), msg.properties))

    def of(self, suffix: str) -> list[tuple[str, bytes, object]]:
        with self.lock:
            return [m for m in self.seen if m[0].endswith(suffix)]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def collector(tmp_path, broker):
    c = start_collector(tmp_path, broker.port)
    yield c
    c.stop()
    c.store.close()


@pytest.mark.parametrize("mqtt5", [False, True], ids=["edge MQTT 3.1.1", "edge MQTT 5"])
def test_every_live_message_of_a_real_edge_and_central_is_plain_json_for_any_mqtt_client(
        tmp_path, broker, collector, edge_config, edge_process, mqtt5):
    plain = PlainSubscriber(broker.port)
    edge_process(edge_config(panel={"pin_factory": "mock", "help_button": 23},
                             mqtt={"protocol": "5" if mqtt5 else "default"}))
    wait_for(lambda: len(plain.of("/house-01/telemetry")) >= 3, 30, what="live samples")
    collector.send_command("house-01", "press", {"button": "help"})
    collector.send_command("house-01", "ping", {})
    wait_for(lambda: len(plain.of("/house-01/cmd_result")) >= 2 and plain.of("/event"), 30,
             what="command results and the HELP event")
    wait_for(lambda: plain.of("/house-01/ack") and plain.of("/central/status"), 10,
             what="central's ack and status")
    time.sleep(1.5)  # another sample after the event
    plain.close()

    live = [m for m in plain.seen if not m[0].endswith("/history")]
    kinds = {topic.split("/")[-2] if "/cmd/" in topic else topic.split("/")[-1]
             for topic, _, _ in live}
    assert {"telemetry", "event", "status", "cmd", "cmd_result", "ack"} <= kinds
    parsed = {}
    for topic, payload, _ in live:
        obj = json.loads(payload.decode("utf-8"))  # nothing but the standard library
        assert isinstance(obj, dict) and obj["v"] == 1, topic
        parsed.setdefault(topic, []).append(obj)
    assert any(e["type"] == "help.requested" for e in parsed[f"{ROOT}/house-01/event"])
    samples = parsed[f"{ROOT}/house-01/telemetry"]
    assert samples[0].get("full") is True and "sys.uptime_s" in samples[0]["metrics"]
    # Report by exception: a later sample leaves out what did not change.
    assert any(len(s["metrics"]) < len(samples[0]["metrics"]) for s in samples[1:])
    assert all("full" not in s for s in samples[1:])
    # Central speaks MQTT 5: what it publishes says it is JSON text; so does an MQTT 5 edge.
    central = [m for m in live if m[0].endswith(("/ack", "/central/status")) or "/cmd/" in m[0]]
    house = [m for m in live if m not in central]
    assert central and house
    for topic, _, props in central + (house if mqtt5 else []):
        assert props.ContentType == "application/json", topic
        assert props.PayloadFormatIndicator == 1, topic
    if not mqtt5:  # MQTT 3.1.1 has no properties: the payload alone says it
        assert all(getattr(props, "ContentType", None) is None for _, _, props in house)
