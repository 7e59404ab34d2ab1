"""A dashboard process of its own (`culturehouse-central run --parts web`): what it needs from
the broker without a collector beside it.

It sends staff's commands and hears their results (every command result reaches every
process that subscribes; only the sender knows the request), and it shows the alerts that
the collector with the `alerts` part publishes retained on `central/alerts`. Everything
else it reads from the database the collectors write. Its own MQTT user (client id) keeps
it apart from the collectors' sessions.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid

import protocol
from common.mqtt_link import Inbound, LinkDown, LinkUp, MqttLink, build_client

from .config import CentralConfig
from .sent import SentCommands, command_payload

log = logging.getLogger(__name__)


def alert_dicts(alerts: protocol.CentralAlerts) -> list[dict]:
    """Central's retained alerts in the shape the pages and the API use."""
    return [{"house": a.house, "kind": a.kind, "since": a.since, "raised": True, "detail": {},
             "text": a.text, "text_en": a.text_en} for a in alerts.alerts]


class WebLink:
    def __init__(self, cfg: CentralConfig):
        self.topics = protocol.Topics(cfg.mqtt.topic_root)
        self.commands = SentCommands()
        self._alerts: list[dict] = []
        self._items: queue.Queue = queue.Queue(maxsize=10_000)
        client = build_client(cfg.mqtt.username, cfg.mqtt.username, cfg.mqtt.password,
                              tls=cfg.mqtt.tls, ca_file=cfg.mqtt.ca_file, clean_session=True,
                              v5=cfg.mqtt.protocol != "3.1.1")  # as the collector speaks
        self.link = MqttLink.for_config(
            client, cfg.mqtt, lambda: [f"{self.topics.root}/+/cmd_result",
                                       self.topics.central_alerts()],
            self._post, first_delay_max=0)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="web-link", daemon=True)

    @property
    def connected(self) -> bool:
        return self.link.connected

    def start(self) -> None:
        self._reader.start()
        self.link.start()

    def stop(self) -> None:
        self._stop.set()
        self.link.stop()
        self._reader.join(3)

    def alerts(self) -> list[dict]:
        return self._alerts

    def send_command(self, house: str, name: str, args: dict, ttl_s: float = 600) -> str:
        req_id = uuid.uuid4().hex
        self.commands.sent(req_id, house, name, time.monotonic())  # before any answer can come
        self.link.publish(self.topics.cmd(house, name),
                          command_payload(name, req_id, ttl_s, time.time(), args))
        return req_id

    def cmd_result(self, req_id: str):
        return self.commands.lookup(req_id, time.monotonic())

    def _post(self, item) -> None:
        try:
            self._items.put_nowait(item)
        except queue.Full:  # a flood of results: the newest waits for the next one
            log.debug("web link queue full: %s dropped", type(item).__name__)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._items.get(timeout=0.5)
            except queue.Empty:
                continue
            if isinstance(item, LinkUp):
                log.info("dashboard connected to broker %s:%d", self.link.host, self.link.port)
            elif isinstance(item, LinkDown):
                log.warning("dashboard's broker connection lost (%s)", item.reason)
            elif isinstance(item, Inbound):
                self._inbound(item)

    def _inbound(self, item: Inbound) -> None:
        try:
            house, kind, _ = self.topics.parse(item.topic)
            if house == "central" and kind == "alerts":
                self._alerts = alert_dicts(protocol.parse_central_alerts(item.payload))
            elif kind == "cmd_result" and protocol.is_house_id(house):
                self.commands.answer(house, protocol.parse_cmd_result(item.payload),
                                     time.monotonic())
        except protocol.PayloadError as exc:  # a hostile house's result: only that is lost
            log.debug("ignored %s: %s", item.topic, exc.reason)
