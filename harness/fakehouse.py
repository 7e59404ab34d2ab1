"""A scripted house for central's tests: real paho client, contract payloads, real broker."""
from __future__ import annotations

import queue
import time
import uuid

import paho.mqtt.client as mqtt

import protocol

from .procs import LOOPBACK, wait_for


class FakeHouse:
    """Publishes status, telemetry and events like an edge agent; records commands it gets."""

    def __init__(self, broker_port: int, house: str, root: str = protocol.DEFAULT_ROOT,
                 password: str = ""):
        self.house, self.topics = house, protocol.Topics(root)
        self.boot = uuid.uuid4().hex
        self.seq = 0
        self.commands: queue.Queue = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=house if password else f"fake-{house}")
        if password:  # a broker with the shipped config: user name = house id = client id
            self.client.username_pw_set(house, password)
        self.client.on_message = lambda c, u, m: self.commands.put((m.topic, m.payload))
        self.client.will_set(self.topics.status(house), self._status(False, "lost"), 1, True)
        self.client.connect(LOOPBACK, broker_port, 30)
        self.client.loop_start()
        wait_for(self.client.is_connected, 10, what=f"{house} connected")
        self.client.subscribe(f"{self.topics.root}/{house}/cmd/+", qos=1)

    def _status(self, online: bool, reason: str = "") -> bytes:
        return protocol.build_status(protocol.Status(self.house, online, self.boot,
                                                     int(time.time() * 1000), "0.1.0", reason))

    def _send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def online(self) -> None:
        self._send(self.topics.status(self.house), self._status(True), retain=True)

    def offline(self, reason: str = "stopped") -> None:
        self._send(self.topics.status(self.house), self._status(False, reason), retain=True)

    def new_boot(self) -> None:
        self.boot = uuid.uuid4().hex

    def telemetry(self, metrics: dict, ts: int | None = None) -> int:
        self.seq += 1
        self._send(self.topics.telemetry(self.house), protocol.build_telemetry(protocol.Telemetry(
            self.house, self.boot, self.seq, ts or int(time.time() * 1000), metrics)))
        return self.seq

    def event(self, type_: str, data: dict | None = None, ts: int | None = None) -> int:
        self.seq += 1
        self._send(self.topics.event(self.house), protocol.build_event(protocol.Event(
            self.house, self.boot, self.seq, ts or int(time.time() * 1000), type_, data or {})))
        return self.seq

    def publish_raw(self, kind: str, payload: bytes) -> None:
        """Any bytes on one of this house's own topics (for hostile-input tests)."""
        self._send(f"{self.topics.root}/{self.house}/{kind}", payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
