"""Small helpers for the telemetry tests: an in-process collector and a test MQTT client."""
from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from central import config as central_config
from central.collector import Collector
from central.database import connect
from central.store import Store
from harness.edgeproc import write_central_config
from harness.procs import free_port, wait_for


def start_collector(tmp_path: Path, port: int, database: Path | str | None = None,
                    **ingest) -> Collector:
    """A collector on `database` (a SQLite file or a postgresql:// URL; default a file)."""
    path = write_central_config(tmp_path / "central.toml", port,
                                database or tmp_path / "central.sqlite", free_port(),
                                ingest={"batch_wait": "50ms", **ingest})
    cfg = central_config.load(path)
    collector = Collector(cfg, Store(cfg.storage.location))
    collector.start()
    wait_for(lambda: collector.connected, 15, what="collector connected")
    return collector


def query(location: Path | str, sql: str, *args) -> list:
    """Rows of one query on central's database (SQLite or PostgreSQL), read-only."""
    con = connect(location, readonly=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stored_seqs(location: Path | str, house: str) -> list[int]:
    return [s for (s,) in query(location, "SELECT seq FROM messages WHERE house = ? "
                                          "ORDER BY seq", house)]


class WireClient:
    """A real paho client that records what it receives, for watching the wire."""

    def __init__(self, port: int, username: str = "", password: str = "",
                 client_id: str | None = None, clean_session: bool = True):
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
                                  clean_session=clean_session)
        if username:
            self.client.username_pw_set(username, password)
        self.connected = threading.Event()
        self.refused = threading.Event()
        self.session_present: bool | None = None
        self.disconnects = 0
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.subscribed: dict[int, bool] = {}  # SUBACK'd message ids: granted or refused
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subscribed.update(
            {mid: not any(code.is_failure for code in codes)})
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.session_present = bool(flags.session_present)
        (self.refused if reason_code.is_failure else self.connected).set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnects += 1

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.seen.append((msg.topic, bytes(msg.payload)))

    def subscribe(self, topic: str) -> bool:
        """Subscribe at QoS 1 and wait for the SUBACK; whether the broker granted it."""
        wait_for(self.connected.is_set, 10, what="test client connected")
        result, mid = self.client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        # Only after the SUBACK does the broker route messages to us: publishing earlier
        # races the subscription.
        wait_for(lambda: mid in self.subscribed, 10, what=f"subscribed to {topic}")
        return self.subscribed[mid]

    def publish(self, topic: str, payload: bytes, retain: bool = False):
        wait_for(self.connected.is_set, 10, what="test client connected")
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)
        return info

    def on(self, topic_part: str) -> list[bytes]:
        with self.lock:
            return [p for t, p in self.seen if topic_part in t]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
