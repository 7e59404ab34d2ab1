"""Ingest: MQTT messages from the houses into the store, then acks back to the houses.

paho's callback only enqueues; one writer thread validates against the contract,
stores a batch in one transaction and publishes each house's retained `ack` watermark.
A bad payload is counted by reason and logged (rate limited); it never stops ingest.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter

from edge import contract
from edge.mqtt_link import Inbound, LinkDown, LinkUp, MqttLink, Published, Will, build_client

from . import __version__
from .config import CentralConfig
from .store import Received, Store

log = logging.getLogger(__name__)
LOG_EVERY = 60.0  # seconds between log lines about rejected payloads of one reason


def parse_inbound(topics: contract.Topics, msg: Inbound, known: frozenset[str]):
    """Validate one message: a contract object, None for central's own topics, or PayloadError."""
    house, kind, _ = topics.parse(msg.topic)
    if house == "central":
        return None
    if known and house not in known:
        raise contract.PayloadError("unknown_house")
    if kind == "telemetry":
        return contract.parse_telemetry(msg.payload, house)
    if kind == "event":
        return contract.parse_event(msg.payload, house)
    if kind == "status":
        return contract.parse_status(msg.payload, house)
    if kind == "cmd_result":
        return contract.parse_cmd_result(msg.payload)
    raise contract.PayloadError("bad_topic", f"{kind} is not sent by houses")


class Collector:
    def __init__(self, cfg: CentralConfig, store: Store):
        self.cfg = cfg
        self.store = store
        self.topics = contract.Topics(cfg.mqtt.topic_root)
        self.known = frozenset(cfg.houses)
        self.queue: queue.Queue = queue.Queue()
        self.rejected: Counter[str] = Counter()
        self.stored_total = 0
        self.cmd_results: dict[str, contract.CommandResult] = {}
        self._last_log: dict[str, float] = {}
        self._acks_sent: dict[str, int] = {}
        self._stop = threading.Event()
        will = Will(self.topics.central_status(), self._status(False))
        client = build_client("culturehouse-central", cfg.mqtt.username, cfg.mqtt.password,
                              tls=cfg.mqtt.tls, ca_file=cfg.mqtt.ca_file, will=will,
                              reconnect_min=cfg.mqtt.reconnect_min,
                              reconnect_max=cfg.mqtt.reconnect_max)
        self.link = MqttLink(client, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt.keepalive,
                             self.topics.central_subscriptions, self.queue.put)
        self.writer = threading.Thread(target=self._write_loop, name="collector-writer",
                                       daemon=True)

    def _status(self, online: bool) -> bytes:
        return contract.build_central_status(contract.CentralStatus(
            online, int(time.time() * 1000), self.cfg.ingest.max_backlog_rate))

    @property
    def connected(self) -> bool:
        return self.link.connected

    def start(self) -> None:
        self.writer.start()
        self.link.start()

    def stop(self) -> None:
        self._stop.set()
        self.writer.join(3)
        self.link.stop((self.topics.central_status(), self._status(False)))

    def send_command(self, house: str, name: str, args: dict, ttl_s: float = 600) -> str:
        """Publish a command to a house; returns its req_id."""
        import uuid
        req_id = uuid.uuid4().hex
        payload = contract.build_command(contract.Command(
            name, req_id, int((time.time() + ttl_s) * 1000), args))
        self.link.publish(self.topics.cmd(house, name), payload)
        return req_id

    # ----- writer thread --------------------------------------------------------------------
    def _write_loop(self) -> None:
        wait = float(self.cfg.ingest.batch_wait)
        while not self._stop.is_set():
            try:
                first = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            items = [first]
            deadline = time.monotonic() + wait
            while len(items) < self.cfg.ingest.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    items.append(self.queue.get(timeout=remaining))
                except queue.Empty:
                    break
            try:
                self._handle(items)
            except Exception:  # the shell's loop: keep ingesting
                log.exception("storing a batch of %d messages failed", len(items))

    def _handle(self, items: list) -> None:
        batch: list[Received] = []
        now_ms = int(time.time() * 1000)
        for item in items:
            if isinstance(item, LinkUp):
                log.info("connected to broker %s:%d", self.cfg.mqtt.host, self.cfg.mqtt.port)
                self.link.publish(self.topics.central_status(), self._status(True), retain=True)
                self._acks_sent.clear()  # re-send watermarks after a reconnect
            elif isinstance(item, LinkDown):
                log.warning("broker connection lost (%s)", item.reason)
            elif isinstance(item, Inbound):
                try:
                    parsed = parse_inbound(self.topics, item, self.known)
                except contract.PayloadError as exc:
                    self._reject(exc.reason, item.topic)
                    continue
                if parsed is None:
                    continue
                if isinstance(parsed, contract.CommandResult):
                    self.cmd_results[parsed.req_id] = parsed
                else:
                    batch.append(Received(parsed, now_ms))
            elif not isinstance(item, Published):
                log.debug("unexpected item %r", item)
        if batch:
            marks = self.store.write_batch(batch)
            self.stored_total += sum(1 for r in batch
                                     if not isinstance(r.message, contract.Status))
            self._publish_acks(marks)
        elif any(isinstance(i, LinkUp) for i in items):
            self._publish_acks(self.store.acked())

    def _publish_acks(self, marks: dict[str, int]) -> None:
        for house, seq in marks.items():
            if seq > 0 and self._acks_sent.get(house) != seq:
                mid = self.link.publish(self.topics.ack(house),
                                        contract.build_ack(contract.Ack(seq)), retain=True)
                if mid is not None:
                    self._acks_sent[house] = seq

    def _reject(self, reason: str, topic: str) -> None:
        self.rejected[reason] += 1
        now = time.monotonic()
        if now - self._last_log.get(reason, -LOG_EVERY) >= LOG_EVERY:
            self._last_log[reason] = now
            log.warning("rejected a payload on %s: %s (%d so far)", topic, reason,
                        self.rejected[reason])
