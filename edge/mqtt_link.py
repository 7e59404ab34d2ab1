"""The paho-mqtt adapter: the only module (with central's collector) that touches paho.

paho calls back on its network thread; callbacks only post immutable items onto the
owner's queue. Connection set-up (will, credentials, TLS, backoff) is shared with central.
"""
from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkUp:
    session_present: bool


@dataclass(frozen=True)
class LinkDown:
    reason: str


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    retained: bool


@dataclass(frozen=True)
class Published:
    mid: int


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes


def build_client(client_id: str, username: str, password: str, *, tls: bool = False,
                 ca_file: str = "", will: Will | None = None,
                 reconnect_min: float = 1, reconnect_max: float = 300,
                 clean_session: bool = False) -> mqtt.Client:
    """A paho 2.x client with credentials, TLS and the will set before connecting."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=clean_session, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password or None)
    if tls:
        client.tls_set(ca_certs=ca_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if will is not None:
        client.will_set(will.topic, will.payload, qos=1, retain=True)
    client.reconnect_delay_set(max(1, int(reconnect_min)), max(1, int(reconnect_max)))
    # paho's own RAM queue is not our queue: the outbox is. Keep paho's small.
    client.max_queued_messages_set(1000)
    return client


class MqttLink:
    """A connection that reconnects by itself and reports through `post`."""

    def __init__(self, client: mqtt.Client, host: str, port: int, keepalive: float,
                 subscriptions: Callable[[], list[str]], post: Callable[[object], None]):
        self.client = client
        self.host, self.port, self.keepalive = host, port, int(keepalive)
        self.subscriptions = subscriptions
        self.post = post
        self.connected = False
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.post(LinkDown(str(reason_code)))
            return
        self.connected = True
        # The broker may have lost our session: subscribe on every connect.
        for topic in self.subscriptions():
            client.subscribe(topic, qos=1)
        self.post(LinkUp(bool(flags.session_present)))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False
        self.post(LinkDown(str(reason_code)))

    def _on_message(self, client, userdata, message) -> None:
        self.post(Inbound(message.topic, bytes(message.payload), bool(message.retain)))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.post(Published(mid))

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int | None:
        """Publish at QoS 1; returns the message id, or None when not connected."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    def stop(self, last_words: tuple[str, bytes] | None = None, timeout: float = 1.0) -> None:
        """Publish `last_words` (retained) if connected, then disconnect cleanly."""
        if last_words and self.connected:
            info = self.client.publish(last_words[0], last_words[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
