"""Sends outbox rows over MQTT and forgets them when central acks them.

Runs on the agent's main thread. After an outage live rows go first, one plain JSON message
each (any MQTT tool reads them); the backlog follows in zlib batches of up to 60 rows on the `history` topic, paced by a
token bucket at min(own limit, central's advertised rate). A PUBACK only frees a slot:
rows are deleted only when central's retained `ack` watermark for this outbox's epoch
covers them, so a broker or central restart costs a resend (deduplicated on (house,
epoch, seq)), never a loss, and a new card never deletes on the old card's watermark.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import protocol
from common.mqtt_link import MqttLink
from .outbox import Outbox, Row

log = logging.getLogger(__name__)


@dataclass
class TokenBucket:
    """At most `rate` tokens a second, `burst` at once. Pure: time is passed in."""

    rate: float
    burst: float = 1.0
    tokens: float = 1.0
    at: float | None = None

    def _refill(self, now: float) -> None:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def ready(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1.0

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def wait(self, now: float) -> float:
        """Seconds until the next token."""
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.rate)


def encode_row(house: str, row: Row,
               epoch: str = "") -> tuple[protocol.Telemetry | protocol.Event, bytes]:
    """The contract object of one outbox row and its payload, validated by building it; a
    stand-in event if it breaks the contract, so its seq still reaches central and the
    watermark never stalls."""
    try:
        if row.kind == "telemetry":
            msg = protocol.Telemetry(house, row.boot, row.seq, row.ts, row.body, row.tq,
                                     row.mono, row.upto, epoch, row.samples, row.full)
            return msg, protocol.build_telemetry(msg)
        msg = protocol.Event(house, row.boot, row.seq, row.ts, row.type or "", row.body,
                             row.tq, row.mono, epoch)
        return msg, protocol.build_event(msg)
    except protocol.PayloadError as exc:
        log.error("outbox row %d refused by the contract (%s)", row.seq, exc.reason)
        msg = protocol.Event(house, row.boot, row.seq, row.ts, "outbox.refused",
                             {"reason": exc.reason}, epoch=epoch)
        return msg, protocol.build_event(msg)


def build_payload(house: str, row: Row, epoch: str = "") -> tuple[str, bytes]:
    """The topic kind and payload for one outbox row sent live."""
    msg, payload = encode_row(house, row, epoch)
    return ("telemetry" if isinstance(msg, protocol.Telemetry) else "event"), payload


class Publisher:
    def __init__(self, outbox: Outbox, link: MqttLink, topics: protocol.Topics, house: str,
                 window: int = 20, max_rate: float = 5.0, batch_rows: int = 60,
                 ack_timeout: float = 120.0):
        self.outbox, self.link, self.topics, self.house = outbox, link, topics, house
        self.window = window  # live QoS 1 messages in flight at once
        self.max_rate = max_rate
        self.batch_rows = min(batch_rows, protocol.MAX_HISTORY_ROWS)
        self.ack_timeout = ack_timeout
        self.bucket = TokenBucket(max_rate)
        self.online = False  # set by the main loop on LinkUp, so a resend starts cleanly
        self.central_online: bool | None = None  # unknown until central's status arrives
        self.acked = 0
        self.live_cursor = 0  # highest seq sent live on this connection
        self.boundary = 1  # rows below it (and above acked) are backlog
        self.backlog_cursor = 0  # highest backlog seq sent
        self.resends: list[list[int]] = []  # [from, to] ranges central asked for
        self.inflight: set[int] = set()
        self.progress_at = 0.0  # monotonic time of the last ack progress (or rewind)
        self.sent_total = 0
        self.batches_total = 0
        self._foreign_epoch: str | None = None  # the last other outbox's ack seen (logged once)

    # ----- inputs ------------------------------------------------------------------------
    def on_link_up(self, now: float = 0.0) -> None:
        """Live from here on; everything central has not acknowledged becomes backlog."""
        self.online = True
        self.inflight.clear()
        self.live_cursor = self.outbox.last_seq()
        self.rewind(now)

    def on_link_down(self) -> None:
        self.online = False

    def on_published(self, mid: int) -> None:
        self.inflight.discard(mid)

    def on_ack(self, ack: protocol.Ack, now: float = 0.0) -> None:
        if ack.epoch != self.outbox.epoch:
            # Another outbox's watermark (the card before this one): its seqs are not ours.
            if ack.epoch != self._foreign_epoch:
                self._foreign_epoch = ack.epoch
                log.info("central's ack %d is for another outbox (epoch %r): ignored",
                         ack.seq, ack.epoch[:8])
            return
        seq = ack.seq
        last = self.outbox.last_seq()
        if seq > last:
            # Central stored seqs of this epoch that this outbox never handed out: it is an
            # older copy of itself (a restored backup). What it holds is stored already.
            gone = self.outbox.continue_above(seq)
            log.warning("outbox is older than central's ack %d of its epoch: %d stored rows "
                        "forgotten, seqs go on above it", seq, gone)
            self.live_cursor = self.outbox.last_seq() if self.online else self.live_cursor
            self.acked = seq
            self.rewind(now)
            return
        if seq > self.acked:
            self.acked = seq
            self.progress_at = now
            gone = self.outbox.delete_upto(seq)
            if gone:
                log.debug("central acknowledged up to seq %d (%d rows freed)", seq, gone)

    def on_central_status(self, online: bool, rate: float, now: float = 0.0) -> None:
        rate = max(0.01, min(self.max_rate, rate))
        if rate != self.bucket.rate:
            self.bucket = TokenBucket(rate)
        if online and self.central_online is False:
            self.rewind(now)  # central restarted: what it had not stored may be lost
        self.central_online = online

    def rewind(self, now: float = 0.0) -> None:
        """Send everything not yet acknowledged again, as backlog."""
        self.boundary = self.live_cursor + 1
        self.backlog_cursor = self.acked
        self.progress_at = now

    def resend(self, first: int, last: int) -> dict:
        """Central's `resend` command: queue the rows first..last that are still here."""
        held = len(self.outbox.after(first - 1, 100_000, upto=last))
        if held:
            self.resends.append([first, last])
        # `oldest` is a seq of this outbox: the epoch tells central which watermark it moves.
        detail = {"rows": held, "oldest": self.outbox.oldest()}
        return {**detail, "epoch": self.outbox.epoch} if self.outbox.epoch else detail

    # ----- output ------------------------------------------------------------------------
    def pump(self, now: float = 0.0) -> int:
        """Publish live rows while the window allows, then paced backlog; returns messages."""
        if not (self.online and self.link.connected):
            return 0
        sent = self._pump_live()
        if self.central_online is not False:
            while self.bucket.ready(now):
                rows = self._next_batch()
                if not rows:
                    break
                if not self._send_batch(rows):
                    return sent
                self.bucket.take(now)
                sent += 1
        unacked = self.acked < max(self.live_cursor, self.backlog_cursor)
        if unacked and now - self.progress_at > self.ack_timeout:
            log.warning("no ack from central for %.0f s: sending unacknowledged rows again",
                        now - self.progress_at)
            self.rewind(now)
        return sent

    def wake_in(self, now: float) -> float | None:
        """Seconds until the next paced batch is due, or None when no backlog waits."""
        if not self.online or (not self.resends and self.backlog_cursor >= self.boundary - 1):
            return None
        return self.bucket.wait(now)

    def _pump_live(self) -> int:
        sent = 0
        while len(self.inflight) < self.window:
            rows = self.outbox.after(self.live_cursor, self.window - len(self.inflight))
            if not rows:
                break
            for row in rows:
                kind, payload = build_payload(self.house, row, self.outbox.epoch)
                mid = self.link.publish(getattr(self.topics, kind)(self.house), payload)
                if mid is None:
                    return sent
                self.inflight.add(mid)
                self.live_cursor = row.seq
                sent += 1
                self.sent_total += 1
        return sent

    def _next_batch(self) -> list[Row]:
        while self.resends:
            first, last = self.resends[0]
            rows = self.outbox.after(max(first - 1, self.acked), self.batch_rows, upto=last)
            if rows:
                self.resends[0][0] = rows[-1].seq + 1
                return rows
            self.resends.pop(0)
        start = max(self.backlog_cursor, self.acked)
        rows = self.outbox.after(start, self.batch_rows, upto=self.boundary - 1)
        if rows:
            self.backlog_cursor = rows[-1].seq
        return rows

    def _send_batch(self, rows: list[Row]) -> bool:
        messages = [encode_row(self.house, row, self.outbox.epoch)[0] for row in rows]
        chunks = [messages]
        while chunks:
            chunk = chunks.pop(0)
            try:
                payload = protocol.build_history(self.house, chunk)
            except protocol.PayloadError as exc:
                if exc.reason != "too_large" or len(chunk) == 1:
                    raise
                half = len(chunk) // 2
                chunks[:0] = [chunk[:half], chunk[half:]]
                continue
            if self.link.publish(self.topics.history(self.house), payload,
                                 content_type=protocol.HISTORY_CONTENT_TYPE) is None:
                return False
            self.batches_total += 1
            self.sent_total += len(chunk)
        return True
