"""Sends outbox rows over MQTT in seq order and forgets them when central acks them.

Runs on the agent's main thread. A PUBACK only frees an in-flight slot; rows are deleted
only when central's retained `ack` watermark covers them, so a broker or central restart
costs a resend (deduplicated by central on (house, seq)), never a loss.
"""
from __future__ import annotations

import logging

from . import contract
from .mqtt_link import MqttLink
from .outbox import Outbox, Row

log = logging.getLogger(__name__)


def build_payload(house: str, row: Row) -> tuple[str, bytes]:
    """The topic kind and payload for one outbox row."""
    if row.kind == "telemetry":
        return "telemetry", contract.build_telemetry(contract.Telemetry(
            house, row.boot, row.seq, row.ts, row.body, row.tq, row.mono))
    return "event", contract.build_event(contract.Event(
        house, row.boot, row.seq, row.ts, row.type or "", row.body, row.tq, row.mono))


class Publisher:
    def __init__(self, outbox: Outbox, link: MqttLink, topics: contract.Topics, house: str,
                 window: int = 20):
        self.outbox = outbox
        self.link = link
        self.topics = topics
        self.house = house
        self.window = window  # QoS 1 messages in flight at once
        self.online = False  # set by the main loop on LinkUp, so a resend starts cleanly
        self.cursor = 0  # highest seq handed to paho on this connection
        self.inflight: set[int] = set()
        self.acked = 0
        self.sent_total = 0
        self.rejected_total = 0

    def on_link_up(self) -> None:
        """Resend everything central has not acknowledged (it deduplicates)."""
        self.online = True
        self.cursor = self.acked
        self.inflight.clear()

    def on_link_down(self) -> None:
        self.online = False

    def on_published(self, mid: int) -> None:
        self.inflight.discard(mid)

    def on_ack(self, seq: int) -> None:
        if seq > self.acked:
            self.acked = seq
            gone = self.outbox.delete_upto(seq)
            if gone:
                log.debug("central acknowledged up to seq %d (%d rows freed)", seq, gone)

    def pump(self) -> int:
        """Publish committed rows while there is room in the window; returns how many."""
        if not (self.online and self.link.connected):
            return 0
        sent = 0
        while len(self.inflight) < self.window:
            rows = self.outbox.after(self.cursor, self.window - len(self.inflight))
            if not rows:
                break
            for row in rows:
                try:
                    kind, payload = build_payload(self.house, row)
                except contract.PayloadError as exc:
                    # Rows are validated when queued, so this means a bug; the seq still
                    # goes out (as a stand-in event) so central's watermark never stalls.
                    log.error("outbox row %d refused by the contract (%s)", row.seq, exc.reason)
                    self.rejected_total += 1
                    kind, payload = "event", contract.build_event(contract.Event(
                        self.house, row.boot, row.seq, row.ts, "outbox.refused",
                        {"reason": exc.reason}))
                topic = getattr(self.topics, kind)(self.house)
                mid = self.link.publish(topic, payload)
                if mid is None:
                    return sent
                self.inflight.add(mid)
                self.cursor = row.seq
                sent += 1
                self.sent_total += 1
        return sent
