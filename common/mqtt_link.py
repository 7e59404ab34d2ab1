"""The paho-mqtt adapter: the only module (with central's collector) that touches paho.

paho calls back on its network thread; callbacks only post immutable items onto the
owner's queue. Connection set-up (will, credentials, TLS) is shared with central. The
network thread is ours, not paho's loop_start: it adds a random first delay and
exponential backoff with jitter, so a district back from a power cut does not reconnect
in the same second. It is also the only thread that touches the socket: a publish or an
ack from another thread is queued and handed to it (a TLS connection breaks with "bad
record mac" when two threads write at once).
"""
from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol import JSON_CONTENT_TYPE

log = logging.getLogger(__name__)
FIRST_DELAY_MAX = 30.0  # seconds: spread of the first connection after a start
STABLE_AFTER = 60.0  # a connection that lasted this long resets the backoff


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
    mid: int = 0
    qos: int = 0
    generation: int = 0  # which connection brought it (an ack must go back on the same)


@dataclass(frozen=True)
class Published:
    mid: int


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes


def backoff_delay(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Seconds to wait before reconnect attempt `attempt` (1, 2, ...): doubling, jittered."""
    ceiling = min(high, low * 2 ** max(0, attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


def first_delay(high: float, rng: random.Random) -> float:
    """Seconds to wait before the very first connection: up to 30 s, never above `high`."""
    return rng.uniform(0, min(FIRST_DELAY_MAX, high))


def v5_session(expiry_s: int, receive_maximum: int) -> dict:
    """connect() options for a persistent MQTT 5 session (central's collector)."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry_s
    props.ReceiveMaximum = receive_maximum
    return {"clean_start": False, "properties": props}


def publish_properties(content_type: str) -> Properties:
    """MQTT 5 PUBLISH properties: the content type, and "UTF-8 text" for JSON."""
    props = Properties(PacketTypes.PUBLISH)
    props.ContentType = content_type
    props.PayloadFormatIndicator = 1 if content_type == JSON_CONTENT_TYPE else 0
    return props


def build_client(client_id: str, username: str, password: str, *, tls: bool = False,
                 ca_file: str = "", will: Will | None = None,
                 reconnect_min: float = 1, reconnect_max: float = 300,
                 clean_session: bool = False, v5: bool = False,
                 manual_ack: bool = False) -> mqtt.Client:
    """A paho 2.x client with credentials, TLS and the will set before connecting."""
    if v5:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    else:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=clean_session, protocol=mqtt.MQTTv311,
                             manual_ack=manual_ack)
    if username:
        client.username_pw_set(username, password or None)
    if tls:
        client.tls_set(ca_certs=ca_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if will is not None:
        client.will_set(will.topic, will.payload, qos=1, retain=True,
                        properties=publish_properties(JSON_CONTENT_TYPE) if v5 else None)
    # paho's own RAM queue is not our queue: the outbox is. Keep paho's small.
    client.max_queued_messages_set(1000)
    return client


class MqttLink:
    """A connection that reconnects by itself and reports through `post`."""

    def __init__(self, client: mqtt.Client, host: str, port: int, keepalive: float,
                 subscriptions: Callable[[], list[str]], post: Callable[[object], None], *,
                 reconnect_min: float = 1, reconnect_max: float = 300,
                 first_delay_max: float | None = None, connect_options: dict | None = None,
                 rng: random.Random | None = None, fallbacks: tuple = ()):
        self.client = client
        # The nodes of a broker cluster: a failed or lost connection moves on to the next.
        self.addresses = [(host, port)] + [a for a in fallbacks if a != (host, port)]
        self.current = 0
        self.host, self.port, self.keepalive = host, port, int(keepalive)
        self.subscriptions = subscriptions
        self.post = post
        self.reconnect_min, self.reconnect_max = float(reconnect_min), float(reconnect_max)
        self.first_delay_max = reconnect_max if first_delay_max is None else first_delay_max
        self.connect_options = connect_options or {}
        self.rng = rng or random.Random()
        self.connected = False
        self.generation = 0
        self.attempts = 0  # failed attempts since the last stable connection
        self._stop = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="mqtt-link", daemon=True)
        # With a write callback registered, paho never writes from the caller's thread: it
        # queues the packet and wakes our loop, which writes it (paho's external-loop hook).
        client.on_socket_register_write = lambda client, userdata, sock: None
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish

    @classmethod
    def for_config(cls, client: mqtt.Client, cfg, subscriptions: Callable[[], list[str]],
                   post: Callable[[object], None], **options) -> "MqttLink":
        """A link to the broker (or the cluster's nodes, in turn) that `cfg` ([mqtt]) names."""
        (host, port), *others = cfg.addresses()
        return cls(client, host, port, cfg.keepalive, subscriptions, post,
                   reconnect_min=cfg.reconnect_min, reconnect_max=cfg.reconnect_max,
                   fallbacks=tuple(others), **options)

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive,
                                  **self.connect_options)
        self._thread.start()

    def _run(self) -> None:
        delay = first_delay(self.first_delay_max, self.rng)
        while not self._stop.wait(delay):
            up_at = time.monotonic()
            try:
                self.client.reconnect()
                rc = mqtt.MQTT_ERR_SUCCESS
                while rc == mqtt.MQTT_ERR_SUCCESS and not self._stop.is_set():
                    rc = self.client.loop(0.5)
            except (OSError, ValueError) as exc:  # refused, unreachable, TLS failure
                log.debug("connecting to %s:%d failed: %s", self.host, self.port, exc)
            if self._stop.is_set() or self._closing:
                break
            if self.connected:
                self.connected = False
                self.post(LinkDown("connection lost"))
            if time.monotonic() - up_at > STABLE_AFTER:
                self.attempts = 0
            self.attempts += 1
            if len(self.addresses) > 1:
                self._next_address()
                # A whole round over the cluster's nodes counts as one attempt of the backoff.
                rounds = 1 + (self.attempts - 1) // len(self.addresses)
                delay = backoff_delay(rounds, self.reconnect_min, self.reconnect_max, self.rng)
                continue
            delay = backoff_delay(self.attempts, self.reconnect_min, self.reconnect_max, self.rng)

    def _next_address(self) -> None:
        self.current = (self.current + 1) % len(self.addresses)
        self.host, self.port = self.addresses[self.current]
        log.debug("trying broker %s:%d next", self.host, self.port)
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive,
                                  **self.connect_options)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.post(LinkDown(str(reason_code)))
            return
        self.generation += 1
        self.connected = True
        # The broker may have lost our session: subscribe on every connect.
        for topic in self.subscriptions():
            client.subscribe(topic, qos=1)
        self.post(LinkUp(bool(flags.session_present)))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.connected:
            self.connected = False
            self.post(LinkDown(str(reason_code)))

    def _on_message(self, client, userdata, message) -> None:
        self.post(Inbound(message.topic, bytes(message.payload), bool(message.retain),
                          message.mid, message.qos, self.generation))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.post(Published(mid))

    def _properties(self, content_type: str) -> Properties | None:
        return (publish_properties(content_type) if self.client.protocol == mqtt.MQTTv5
                else None)  # MQTT 3.1.1 has no properties: the payload says it is JSON

    def publish(self, topic: str, payload: bytes, retain: bool = False,
                content_type: str = JSON_CONTENT_TYPE) -> int | None:
        """Publish at QoS 1; returns the message id, or None when not connected."""
        if not self.connected:
            return None  # paho would keep it in RAM; the outbox is the real queue
        info = self.client.publish(topic, payload, qos=1, retain=retain,
                                   properties=self._properties(content_type))
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    def ack(self, msg: Inbound) -> None:
        """PUBACK a message after it is stored (manual_ack), if its connection still stands."""
        if msg.qos and msg.generation == self.generation and self.connected:
            self.client.ack(msg.mid, msg.qos)

    def stop(self, last_words: tuple[str, bytes] | None = None, timeout: float = 1.0) -> None:
        """Publish `last_words` (retained) if connected, then disconnect cleanly."""
        if last_words and self.connected:
            info = self.client.publish(last_words[0], last_words[1], qos=1, retain=True,
                                       properties=self._properties(JSON_CONTENT_TYPE))
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        # The link thread writes the DISCONNECT (so the broker drops our will) and leaves.
        self._closing = True
        connected = self.connected
        self.client.disconnect()
        if not connected:
            self._stop.set()  # it may be waiting to reconnect: wake it
        if self._thread.is_alive():
            self._thread.join(timeout + 2)
        self._stop.set()
