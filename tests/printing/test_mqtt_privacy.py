"""What the print feature emits crosses a real mosquitto without a title, file or user."""
import json
import threading

import paho.mqtt.client as mqtt
import pytest

import protocol
from edge.printing.feature import PrintFeature
from harness.mosquitto import MosquittoBroker
from harness.procs import wait_for
from harness.printrig import PERSONAL_TITLE, LoopAgent, submit_held


@pytest.fixture
def broker(tmp_path):
    with MosquittoBroker(tmp_path / "mqtt") as b:
        yield b


def test_print_events_on_the_wire_carry_no_title_file_or_user(tmp_path, broker, print_cfg,
                                                               cupsd, pdf):
    topics = protocol.Topics()
    received, lock = [], threading.Lock()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="central-test")
    sub.on_message = lambda _c, _u, m: (lock.acquire(), received.append(m.payload),
                                        lock.release())
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe(topics.event("house-01"), qos=1)
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="house-01")
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    agent = LoopAgent(tmp_path)
    feature = PrintFeature(print_cfg, agent.ctx)
    agent.start(feature)
    try:
        wait_for(lambda: feature.snapshot is not None, 20, what="first snapshot")
        submit_held(cupsd.server, "house", pdf)
        agent.wait_event("print.job_held", 20)
        agent.press()
        agent.wait_event("print.job_completed", 30)
        for seq, (etype, data) in enumerate(list(agent.events), 1):
            payload = protocol.build_event(protocol.Event("house-01", "b1", seq, 1, etype, data))
            pub.publish(topics.event("house-01"), payload, qos=1).wait_for_publish(10)
        wait_for(lambda: len(received) == len(agent.events), 10, what="events delivered")
    finally:
        agent.stop()
        for client in (pub, sub):
            client.loop_stop()
            client.disconnect()
    wire = b"".join(received).decode()
    types = [json.loads(p)["type"] for p in received]
    assert "print.job_completed" in types
    for secret in (PERSONAL_TITLE, "Nguyen", "doc.pdf", "root", str(tmp_path)):
        assert secret not in wire
