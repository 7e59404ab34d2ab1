"""A pickup code reaches only the house's own display: never an MQTT payload, never a log."""
from __future__ import annotations

import logging
import re
import threading
import time
import uuid
import zlib

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

import protocol
from edge.scanning import pickup
from harness.procs import free_port, wait_for
from tests.conftest import SANE_DIR
from tests.scanning.test_web import HOUSE_PC, PHONE, code_of, fetch, scan_one


def mentions(text: str, code: str) -> bool:
    """The code as a number of its own (not inside a longer one), or as it is shown."""
    return bool(re.search(rf"(?<![0-9]){code}(?![0-9])", text)) or pickup.spell(code) in text


def test_the_code_is_in_no_event_and_no_log_line(agent_factory, caplog):
    caplog.set_level(logging.DEBUG)
    agent = agent_factory({"web": {"staff_addresses": [HOUSE_PC]}}).start()
    agent.wait_ready()
    names = [scan_one(agent) for _ in range(2)]
    codes = [code_of(agent, name) for name in names]
    assert fetch(agent.web_port, "/pickup", {"code": codes[0]})[0] == 200
    fetch(agent.web_port, "/pickup", {"code": f"{(int(codes[1]) + 1) % 10**6:06d}"})
    fetch(agent.web_port, "/", source=HOUSE_PC)
    agent.pump(lambda: agent.feature.store.scans()[0].spent, what="code spent")
    wire = b"".join(protocol.build_event(protocol.Event("test-house", "b", seq, 0, etype, data))
                    for seq, (etype, data) in enumerate(agent.events, 1)).decode()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "scan.completed" in wire and "picked up with its code" in logged
    for code in codes:
        assert not mentions(wire, code) and not mentions(logged, code)
    for name in names:
        assert name not in wire and name not in logged


def press_scan(port: int, house: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = protocol.build_command(protocol.Command("press", uuid.uuid4().hex, 0,
                                                      {"button": "scan", "seconds": 0.1}))
    client.publish(protocol.Topics().cmd(house, "press"), payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def readable(payload: bytes) -> bytes:
    """A payload as its JSON: backlog batches and large samples travel zlib-compressed."""
    try:
        return zlib.decompress(payload) if payload[:1] == b"\x78" else payload
    except zlib.error:
        return payload


def answers(port: int) -> bool:
    try:
        return fetch(port, "/", source=HOUSE_PC)[0] == 200
    except OSError:  # not listening yet
        return False


def test_a_real_agents_code_crosses_neither_the_broker_nor_its_log(
        broker, edge_config, edge_process, tmp_path, monkeypatch):
    monkeypatch.setenv("SANE_CONFIG_DIR", str(SANE_DIR))
    port = free_port()
    config = edge_config("house-07", scanner={
        "enabled": True, "output_dir": str(tmp_path / "scans"), "next_page_window": "3s",
        "web": {"address": "127.0.0.1", "port": port, "staff_addresses": [HOUSE_PC]}})
    edge = edge_process(config)
    wire, lock = [], threading.Lock()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="all-ears")
    sub.on_message = lambda _c, _u, m: (lock.acquire(), wire.append(m.topic.encode() + b" " +
                                                                   readable(m.payload)),
                                        lock.release())
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("#", qos=1)
    sub.loop_start()
    try:
        wait_for(lambda: answers(port), 20, what="scan page up")
        telemetry = protocol.Topics().telemetry("house-07").encode()
        wait_for(lambda: any(m.startswith(telemetry) for m in wire), 20, what="agent online")
        press_scan(broker.port, "house-07")

        def shown() -> str | None:
            page = fetch(port, "/", source=HOUSE_PC)[1].decode()
            return page.split('class="code">')[1].split("<")[0] if 'class="code"' in page \
                else None
        code = pickup.read_code(wait_for(shown, 60, what="a pickup code on the house PC"))
        status, body, _ = fetch(port, "/pickup", {"code": code}, source=PHONE)
        assert status == 200 and body.startswith(b"%PDF")
        wait_for(lambda: any(b"scan.completed" in m for m in wire), 20, what="event on the wire")
        time.sleep(2)  # two more telemetry rounds
    finally:
        sub.loop_stop()
        sub.disconnect()
    edge.stop()
    published = b"\n".join(wire).decode()
    assert not mentions(published, code)
    assert not mentions(edge.output(), code) and "picked up with its code" in edge.output()
