"""Ingest: MQTT messages from the houses into the store, then acks back to the houses.

paho's callback only enqueues; one writer thread validates against the contract, stores
a batch (up to batch_size messages or batch_wait) in one transaction, then PUBACKs them
(manual_ack) and publishes each house's retained `ack` watermark. Gaps in a house's seq
wait a reorder window, then the house is asked to `resend` them. A bad payload is counted
by reason and logged (rate limited); it never stops ingest. A telemetry or event row whose
values break the vocabulary's types is rejected too, and a stand-in without its values is
stored under its seq, so the house's watermark moves on and the row is never asked for again.
A message that passes all that and still fails to store is rejected alone the same way
(central/isolation.py); when the database itself fails, the batch is held unacknowledged and
retried, and ingest reports itself stalled. A command result counts only from the house the
command went to (central/sent.py). The writer is the database's only writer: the web side's
HELP acknowledgements reach it through the same queue.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

import protocol
from protocol.vocabulary import COMMANDS, EVENTS, event_problems, metric_problem
from common.mqtt_link import (Inbound, LinkDown, LinkUp, MqttLink, Published, Will, build_client,
                            v5_session)

from .config import CentralConfig
from .database import ERRORS as DB_ERRORS
from .isolation import StallWatch, describe, write_isolated
from .sent import SentCommands, command_payload
from .store import Received, Store

log = logging.getLogger(__name__)
LOG_EVERY = 60.0  # seconds between log lines about rejected payloads of one reason
REJECTED = EVENTS["ingest.rejected"].type
RESEND = COMMANDS["resend"].name
ACK_HELP_WAIT = 5.0  # seconds the web side waits for the writer before answering "busy"
MAX_LOG_KEYS = 10_000  # (house, reason) pairs whose last log time is kept
MAINTAIN_EVERY = 3600.0  # seconds between partition upkeep passes (PostgreSQL)


@dataclass(frozen=True)
class StandIn(Received):
    """Stored in place of a rejected row: never counted as stored."""


@dataclass
class Unit:
    """What one pass of the writer took: rows to store and the messages to PUBACK after."""

    batch: list = field(default_factory=list)
    inbound: list = field(default_factory=list)


@dataclass(frozen=True)
class HelpAck:
    """An operator acknowledged a house's HELP: done by the writer, answered through `done`."""

    house: str
    user: str
    at_ms: int
    done: Future


def parse_inbound(topics: protocol.Topics, msg: Inbound, known: frozenset[str]) -> list | None:
    """Validate one message: contract objects, None for central's own topics, or PayloadError."""
    house, kind, _ = topics.parse(msg.topic)
    if house == "central":
        return [CENTRAL_SAID_OFFLINE] if kind == "status" and not _says_online(msg) else None
    if known and house not in known:
        raise protocol.PayloadError("unknown_house")
    if kind == "telemetry":
        return [protocol.parse_telemetry(msg.payload, house)]
    if kind == "event":
        return [protocol.parse_event(msg.payload, house)]
    if kind == "history":
        return protocol.parse_history(msg.payload, house)
    if kind == "status":
        return [protocol.parse_status(msg.payload, house)]
    if kind == "cmd_result":
        return [(house, protocol.parse_cmd_result(msg.payload))]
    raise protocol.PayloadError("bad_topic", f"{kind} is not sent by houses")


CENTRAL_SAID_OFFLINE = "central-offline"  # another collector's will or clean stop


def _says_online(msg: Inbound) -> bool:
    try:
        return protocol.parse_central_status(msg.payload).online
    except protocol.PayloadError:
        return False


def vocabulary_problem(message) -> str:
    """Why a telemetry or event row breaks the vocabulary's types ("" when it fits)."""
    if isinstance(message, protocol.Telemetry):
        values = [message.metrics.items(), *(s.values.items() for s in message.samples)]
        return next((f"{name}: {problem}" for items in values for name, value in items
                     if (problem := metric_problem(name, value))), "")
    if isinstance(message, protocol.Event):
        problems = event_problems(message.type, message.data)
        return f"{message.type}: {'; '.join(problems)}" if problems else ""
    return ""


def stand_in(message, reason: str, problem: str):
    """What is stored in place of a rejected row: its seq and clock, none of its values."""
    if isinstance(message, protocol.Telemetry) and message.upto is not None:
        # A roll-up stands for seq..upto: only a telemetry row can say so.
        return protocol.Telemetry(message.house, message.boot, message.seq, message.ts, {},
                                  message.tq, message.mono, message.upto, message.epoch)
    data = {"reason": reason, "problem": problem[:protocol.MAX_STRING],
            "kind": "telemetry" if isinstance(message, protocol.Telemetry) else "event"}
    return protocol.Event(message.house, message.boot, message.seq, message.ts, REJECTED, data,
                          message.tq, message.mono, message.epoch)


def store_failed_stand_in(message, problem: str):
    """A stand-in that cannot fail as its message did: no mono, a boot that encodes."""
    if isinstance(message, protocol.Status):
        return None  # a status has no seq to hold
    safe = stand_in(message, "store_failed", problem)
    return replace(safe, mono=None, boot=message.boot.encode("utf-8", "replace").decode())


class Collector:
    def __init__(self, cfg: CentralConfig, store: Store):
        self.cfg = cfg
        self.store = store
        self.topics = protocol.Topics(cfg.mqtt.topic_root)
        self.known = frozenset(cfg.houses)
        self.queue: queue.Queue = queue.Queue()
        self.rejected: Counter[str] = Counter()
        self.stored_total = 0
        self.resends_asked = 0
        self.commands = SentCommands()
        self.watch = StallWatch()  # .stall is set while the database refuses what is held
        self._held: Unit | None = None  # what the database refused, retried at watch.retry_at
        self._last_log: dict[tuple, float] = {}
        self._acks_sent: dict[str, tuple[str, int]] = {}  # house -> (epoch, seq) published
        self._ack_at: dict[str, float] = {}
        self._pending_acks: dict[str, int] = {}
        # house -> ((epoch, first missing seq), seen at, asked at)
        self._gaps: dict[str, tuple[tuple[str, int], float, float]] = {}
        self._gaps_at = 0.0
        self._stop = threading.Event()
        self._maintain_at = time.monotonic() + MAINTAIN_EVERY  # the store did it at open
        self._db_down = ""  # why the database last failed a read here ("" while it works)
        ingest = cfg.ingest
        will = Will(self.topics.central_status(), self._status(False))
        # The client id is the user name, as the shipped broker config enforces anyway.
        # MQTT 5 (session expiry, receive maximum) unless the broker speaks only 3.1.1; then a
        # persistent 3.1.1 session (clean session off) keeps our queue while we are away.
        v5 = cfg.mqtt.protocol != "3.1.1"
        client = build_client(cfg.mqtt.username, cfg.mqtt.username, cfg.mqtt.password,
                              tls=cfg.mqtt.tls, ca_file=cfg.mqtt.ca_file, will=will, v5=v5,
                              manual_ack=True)
        self.link = MqttLink.for_config(
            client, cfg.mqtt, self.subscriptions, self.queue.put, first_delay_max=0,
            connect_options=v5_session(int(ingest.session_expiry), ingest.receive_maximum)
            if v5 else None)
        self.writer = threading.Thread(target=self._write_loop, name="collector-writer",
                                       daemon=True)

    def subscriptions(self) -> list[str]:
        return self.topics.central_subscriptions(self.cfg.ingest.share_group)

    def _status(self, online: bool) -> bytes:
        return protocol.build_central_status(protocol.CentralStatus(
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
        req_id = uuid.uuid4().hex
        payload = command_payload(name, req_id, ttl_s, time.time(), args)
        self.commands.sent(req_id, house, name, time.monotonic())  # before any answer can come
        self.link.publish(self.topics.cmd(house, name), payload)
        return req_id

    def ack_help(self, house: str, user: str,
                 timeout: float = ACK_HELP_WAIT) -> tuple[int, int | None]:
        """Have the writer acknowledge a house's open HELP: (how many, the newest's number).

        Raises TimeoutError when the writer did not take it up in time (it then never will).
        """
        done: Future = Future()
        self.queue.put(HelpAck(house, user, int(time.time() * 1000), done))
        try:
            return done.result(timeout)
        except TimeoutError:
            if done.cancel():
                raise
            return done.result()  # the writer is on it: only moments away

    def cmd_result(self, req_id: str):
        """What the web side shows for a command: None when unknown or forgotten."""
        return self.commands.lookup(req_id, time.monotonic())

    # ----- writer thread --------------------------------------------------------------------
    def _write_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._held is not None:  # the database refused it: nothing new until stored
                    if self._stop.wait(max(0.0, self.watch.retry_at - time.monotonic())):
                        break
                    self._commit(self._held)
                else:
                    items = self._take()
                    if items:
                        self._commit(self._handle(items))
                self._flush_acks(time.monotonic())
                if self._held is None:  # a gap is no gap while the database refuses writes
                    self._chase_gaps(time.monotonic())
                    self._maintain(time.monotonic())
                if self._db_down:
                    log.info("the database answers again")
                    self._db_down = ""
            except DB_ERRORS as exc:  # gone between writes: the next write waits and retries
                if not self._db_down:
                    log.warning("the database is unavailable (%s); retrying", describe(exc))
                self._db_down = describe(exc)
                self._stop.wait(0.5)
            except Exception:  # the shell's loop: keep ingesting
                log.exception("the collector's writer failed a pass")

    def _maintain(self, now: float) -> None:
        """Partition upkeep (make the coming ones, drop those past retention), hourly."""
        if now >= self._maintain_at:
            self._maintain_at = now + MAINTAIN_EVERY
            self.store.maintain(int(time.time() * 1000))

    def _take(self) -> list:
        """Up to batch_size items, waiting at most batch_wait after the first."""
        items = []
        try:
            items.append(self.queue.get(timeout=0.2))
            deadline = time.monotonic() + float(self.cfg.ingest.batch_wait)
            while len(items) < self.cfg.ingest.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                items.append(self.queue.get(timeout=remaining))
        except queue.Empty:
            pass
        return items

    def _handle(self, items: list) -> Unit:
        """Validate what came in; returns the rows to store and the messages to ack after."""
        unit = Unit()
        now_ms = int(time.time() * 1000)
        for item in items:
            if isinstance(item, LinkUp):
                log.info("connected to broker %s:%d", self.link.host, self.link.port)
                self.link.publish(self.topics.central_status(), self._status(True), retain=True)
                self._acks_sent.clear()  # re-send watermarks after a reconnect
                self._resend_watermarks()
            elif isinstance(item, LinkDown):
                log.warning("broker connection lost (%s)", item.reason)
            elif isinstance(item, HelpAck):
                self._ack_help(item)
            elif isinstance(item, Inbound):
                unit.inbound.append(item)
                try:
                    parsed = parse_inbound(self.topics, item, self.known)
                except protocol.PayloadError as exc:
                    self._reject(exc.reason, item.topic)
                    continue
                for message in parsed or ():
                    if message is CENTRAL_SAID_OFFLINE:  # we are here: say central is online
                        self.link.publish(self.topics.central_status(), self._status(True),
                                          retain=True)
                        continue
                    if isinstance(message, tuple):
                        self._cmd_result(*message, topic=item.topic)
                        continue
                    problem = vocabulary_problem(message)
                    if problem:
                        self._reject("bad_value", item.topic)
                        unit.batch.append(StandIn(stand_in(message, "bad_value", problem), now_ms))
                    else:
                        unit.batch.append(Received(message, now_ms))
            elif not isinstance(item, Published):
                log.debug("unexpected item %r", item)
        return unit

    def _commit(self, unit: Unit) -> None:
        """Store a unit's rows, each failing one rejected alone; PUBACK once all are in.

        When the database fails, the rest is held (nothing acked: the broker keeps it) and
        retried with a growing pause (central/isolation.py says when ingest is stalled).
        """
        out = write_isolated(self.store.write_batch, unit.batch, self._substitute)
        self._pending_acks.update(out.marks)
        self.stored_total += sum(1 for r in out.stored if not isinstance(r, StandIn)
                                 and not isinstance(r.message, protocol.Status))
        for received, exc in out.failed:
            self._reject("store_failed", f"house {received.message.house}",
                         received.message.house, describe(exc))
        if out.error is not None:
            unit.batch, self._held = out.left, unit
            if self.watch.failed(out.error, len(unit.inbound), time.monotonic(),
                                 int(time.time() * 1000)):
                log.error("ingest stalled: the database refuses writes (%s); %d messages held "
                          "unacknowledged, retrying", self.watch.stall.reason, len(unit.inbound))
            return
        self._held = None
        ended = self.watch.succeeded()
        if ended is not None:
            log.warning("ingest resumed after %.0f s stalled (%s)",
                        time.time() - ended.since / 1000, ended.reason)
        for item in unit.inbound:  # only now is it safe for the broker to forget them
            self.link.ack(item)

    def _substitute(self, received: Received, exc: BaseException) -> Received | None:
        message = store_failed_stand_in(received.message, describe(exc))
        return None if message is None else StandIn(message, received.recv_ts)

    def _ack_help(self, item: HelpAck) -> None:
        if not item.done.set_running_or_notify_cancel():
            return  # the web side stopped waiting and answered "busy"
        try:
            item.done.set_result(self.store.ack_help(item.house, item.user, item.at_ms))
        except Exception as exc:  # the web side reports it; ingest goes on
            item.done.set_exception(exc)

    def _cmd_result(self, house: str, result: protocol.CommandResult, topic: str) -> None:
        sent = self.commands.answer(house, result, time.monotonic())
        if sent is None:  # another house's command, a name it was not sent, or long forgotten
            if not self.cfg.ingest.share_group:  # else likely another process's command
                self._reject("foreign_result", topic)
            return
        detail = result.detail if isinstance(result.detail, dict) else {}
        oldest = detail.get("oldest")
        epoch = detail.get("epoch", "")  # the outbox `oldest` belongs to ("" before epochs)
        if (result.name == RESEND and result.ok and isinstance(oldest, int) and oldest > 1
                and protocol.is_epoch(epoch)):
            # The house no longer holds what lies below `oldest`: stop waiting for it.
            try:
                self.store.raise_floor(house, oldest - 1, epoch)
            except DB_ERRORS as exc:  # asked again later; the batch must go on
                log.debug("could not raise %s's floor: %s", house, exc)
            self._resend_watermarks()

    def _resend_watermarks(self) -> None:
        try:
            self._pending_acks.update(self.store.acked())
        except DB_ERRORS as exc:  # an unreadable database stalls the writes too: seen there
            log.debug("could not read the watermarks: %s", exc)

    def _flush_acks(self, now: float) -> None:
        interval = float(self.cfg.ingest.ack_interval)
        for house, seq in list(self._pending_acks.items()):
            epoch = self.store.epoch_of(house)
            # The watermark as the database holds it now: another collector may have moved it
            # past what our last batch saw, and a lower retained ack must not replace its own.
            seq = max(seq, self.store.watermark(house, epoch))
            mark = (epoch, seq)  # the watermark of the current epoch
            if seq <= 0 or self._acks_sent.get(house) == mark:
                self._pending_acks.pop(house, None)
                continue
            if now - self._ack_at.get(house, -interval) < interval:
                continue
            mid = self.link.publish(self.topics.ack(house),
                                    protocol.build_ack(protocol.Ack(seq, mark[0])), retain=True)
            if mid is not None:
                self._acks_sent[house] = mark
                self._ack_at[house] = now
                self._pending_acks.pop(house, None)

    def _chase_gaps(self, now: float) -> None:
        """Ask a house to resend a gap of its current epoch that outlived the reorder window
        (once per window). An earlier epoch's gaps are not asked for: that card is gone."""
        if now - self._gaps_at < 1.0:
            return
        self._gaps_at = now
        window = float(self.cfg.ingest.reorder_window)
        for house in self.store.acked():
            gap = self.store.first_gap(house)
            if gap is None:
                self._gaps.pop(house, None)
                continue
            mark = (self.store.epoch_of(house), gap[0])
            seen, seen_at, asked_at = self._gaps.get(house, (mark, now, -1e9))
            if seen != mark:
                seen_at, asked_at = now, -1e9
            if now - seen_at >= window and now - asked_at >= max(window, 1.0):
                if self.link.connected:
                    self.send_command(house, RESEND, {"from": gap[0], "to": gap[1]})
                    self.resends_asked += 1
                    log.info("house %s: seq %d-%d missing, asked for a resend", house, *gap)
                    asked_at = now
            self._gaps[house] = (mark, seen_at, asked_at)

    def _reject(self, reason: str, where: str, house: str = "", problem: str = "") -> None:
        """Count a reject; log it at most every LOG_EVERY s per reason (and house, if known)."""
        self.rejected[reason] += 1
        now, key = time.monotonic(), (house, reason)
        if now - self._last_log.get(key, -LOG_EVERY) >= LOG_EVERY:
            if len(self._last_log) >= MAX_LOG_KEYS:
                self._last_log.clear()
            self._last_log[key] = now
            log.warning("rejected a payload on %s: %s%s (%d so far)", where, reason,
                        f" ({problem})" if problem else "", self.rejected[reason])
