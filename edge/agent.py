"""Wires the edge agent: config, outbox, MQTT link, panel and features around one queue.

Adapter threads post items; this module's main loop hands each to the feature that
declared its type, commands to edge/commands.py, takes telemetry samples, pumps the
outbox to the broker and shows the panel's plan. Features come from edge/registry.py.
"""
from __future__ import annotations

import logging
import queue
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import protocol
from common.clock import SystemClock
from common.mqtt_link import (Inbound, LinkDown, LinkUp, MqttLink, Published, Will, build_client,
                              v5_session)

from . import __version__
from .commands import CommandBook
from .config import EdgeConfig
from .events import OutboxWriter
from .feature import ButtonPress, FeatureContext, Indicator, Now, item_owner
from .lights import (ATTENDED_FOR, Say, broker_indicator, event_say, pickup_say, plan_panel,
                     press_beep, press_say)
from .liveness import AgentLock, write_link_state
from .outbox import Outbox
from .publisher import Publisher
from .registry import build_enabled
from .reporting import Reported, choose_metrics
from .sysmetrics import read_system_metrics

log = logging.getLogger(__name__)
QUOTA_EVERY = 60.0  # seconds between outbox quota checks
SESSION_EXPIRY = 2 * 86400  # MQTT 5: the broker keeps the session (and commands) this long


@dataclass(frozen=True)
class Stop:
    reason: str


def now() -> Now:
    return Now(time.time(), time.monotonic())


class Agent:
    def __init__(self, cfg: EdgeConfig, pin_factory: Any = None):
        self.cfg = cfg
        self.house = cfg.house.id
        self.boot = uuid.uuid4().hex
        self.queue: queue.Queue = queue.Queue()
        self.topics = protocol.Topics(cfg.mqtt.topic_root)
        state_dir = Path(cfg.storage.state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.lock = AgentLock(state_dir)  # one agent per state directory; `check` sees it
        self.outbox = Outbox(state_dir / "outbox.sqlite", int(cfg.storage.outbox_quota_mb * 2**20))
        self.rows = OutboxWriter(self.outbox, self.boot, SystemClock().read)
        self.reported: Reported | None = None  # None: the next sample carries every metric
        will = Will(self.topics.status(self.house), self._status_payload(False, "lost"))
        # The client id is the user name, as the shipped broker config enforces anyway.
        v5 = cfg.mqtt.protocol == "5"  # houses speak 3.1.1 unless told: every broker does
        client = build_client(cfg.mqtt_username, cfg.mqtt_username, cfg.mqtt.password,
                              tls=cfg.mqtt.tls, ca_file=cfg.mqtt.ca_file, will=will, v5=v5)
        self.link = MqttLink.for_config(
            client, cfg.mqtt, lambda: self.topics.edge_subscriptions(self.house), self.post,
            connect_options=v5_session(SESSION_EXPIRY, 100) if v5 else None)
        self.publisher = Publisher(self.outbox, self.link, self.topics, self.house,
                                   max_rate=cfg.telemetry.backlog_rate)
        self.commands = CommandBook()
        self.ctx = FeatureContext(self.house, state_dir, self.post, self.emit, pin_factory)
        self.features = build_enabled(cfg, self.ctx)
        self.panel = None
        if cfg.panel.fitted():
            from .panel import GpioPanel
            self.panel = GpioPanel(cfg.panel, self.post, pin_factory)
        self.voice = None
        if cfg.voice.enabled:
            from .voice.player import Voice
            self.voice = Voice(cfg.voice, state_dir, cfg.house.language, cfg.house.timezone)
            for feature in self.features:  # a finished scan's pickup code is said aloud too
                if hasattr(feature, "pickup_displays"):
                    feature.pickup_displays.append(
                        lambda scan, web=getattr(feature.cfg, "web", None):
                        self.speak(pickup_say(scan.code if web and web.enabled else "")))
        self._pressed_at = float("-inf")  # monotonic time of the last press (attended?)
        self.link_down_since: float | None = time.monotonic()
        self.healthy_at = time.monotonic()  # last main-loop pass (for the watchdog)
        self._stopping = False
        self._quota_at = 0.0
        self._prompts: frozenset[str] = frozenset()  # prompts on show, beeped already
        self._stuck = False

    # ----- inputs from any thread -----------------------------------------------------------
    def post(self, item: object) -> None:
        self.queue.put(item)

    def request_stop(self, reason: str = "signal") -> None:
        self.queue.put(Stop(reason))

    # ----- outputs (main thread) ------------------------------------------------------------
    def _status_payload(self, online: bool, reason: str = "") -> bytes:
        # `oldest` tells central where this house's unbroken run of seqs starts; `epoch`
        # which outbox they belong to, so central acks this one and not an earlier card's.
        oldest = self.outbox.oldest() if online else 0
        return protocol.build_status(protocol.Status(
            self.house, online, self.boot, int(time.time() * 1000), __version__, reason, oldest,
            self.outbox.epoch))

    def _announce_online(self) -> None:
        self.link.publish(self.topics.status(self.house), self._status_payload(True), retain=True)

    def emit(self, event_type: str, data: Mapping[str, Any], at: Now | None = None) -> int | None:
        """Queue an event in the outbox (refused and counted if it breaks the contract)."""
        self.speak(event_say(event_type))
        return self.rows.event(event_type, data, at or now())

    def speak(self, prompt: Say | None) -> None:
        if self.voice and prompt is not None:
            self.voice.say(prompt)

    def beep(self, kind: str, at: Now) -> None:
        if self.panel and kind and (self.voice is None or self.voice.wants_buzzer(at.wall)):
            self.panel.beep(kind)

    def sample(self, at: Now) -> int:
        metrics: dict[str, Any] = read_system_metrics(self.ctx.state_dir)
        metrics.update(self.features.metrics(at))
        metrics["outbox.rows"] = self.outbox.count()
        metrics["mqtt.connected"] = int(self.link.connected)
        metrics["events.rejected.total"] = self.rows.rejected
        choice = choose_metrics(metrics, self.reported, at.wall, at.mono,
                                float(self.cfg.telemetry.full_every))
        seq = self.rows.sample(choice.metrics, at, choice.full)
        if seq:  # a dropped sample changed nothing central holds
            self.reported = choice.reported
        return seq

    # ----- main loop -------------------------------------------------------------------------
    def start(self) -> None:
        if self.voice:
            self.voice.start()
        if self.panel:
            self.panel.start()
        self.features.start()
        self.link.start()
        log.info("house %s started (boot %s, outbox epoch %s, %d features)", self.house,
                 self.boot[:8], self.outbox.epoch[:8] or "none", len(self.features))

    def run(self, ready=None, watchdog=None, each_pass=None) -> None:
        """Run until a Stop item arrives; `ready`/`watchdog` are systemd notify hooks,
        `each_pass` runs on the main thread after every pass (keeps the stop signals)."""
        self.start()
        if ready:
            ready()
        interval = float(self.cfg.telemetry.interval)
        next_sample = time.monotonic()
        next_tick = time.monotonic()
        while not self._stopping:
            wake = min(next_sample, next_tick)
            paced = self.publisher.wake_in(time.monotonic())
            if paced is not None:
                wake = min(wake, time.monotonic() + paced)
            timeout = max(0.0, wake - time.monotonic())
            items = []
            try:
                items.append(self.queue.get(timeout=min(timeout, 1.0)))
                while len(items) < 200:
                    items.append(self.queue.get_nowait())
            except queue.Empty:
                pass
            at = now()
            for item in items:
                self._dispatch(item, at)
            if at.mono >= next_tick:
                self._tick(at)
                next_tick = at.mono + 1.0
            if at.mono >= next_sample:
                self.sample(at)
                next_sample = max(next_sample + interval, at.mono)
            self.outbox.commit()
            self._pump(time.monotonic())
            self.healthy_at = at.mono
            if watchdog and self._features_healthy(at):
                watchdog()
            if each_pass:
                each_pass()
        self._shutdown()

    def _features_healthy(self, at: Now) -> bool:
        stuck = self.features.stuck(at)
        if stuck and not self._stuck:
            log.error("%s stuck: no more watchdog pings, systemd will restart the agent",
                      ", ".join(stuck))
        self._stuck = bool(stuck)
        return not stuck

    def _dispatch(self, item: object, at: Now) -> None:
        try:
            if isinstance(item, Stop):
                log.info("stopping (%s)", item.reason)
                self._stopping = True
            elif isinstance(item, Published):
                self.publisher.on_published(item.mid)
            elif isinstance(item, Inbound):
                self._inbound(item, at)
            elif isinstance(item, LinkUp):
                self._link_up(at)
            elif isinstance(item, LinkDown):
                self.publisher.on_link_down()
                if self.link_down_since is None:
                    self.link_down_since = at.mono
                    write_link_state(self.state_dir, False, at.wall)
                    log.warning("broker connection lost (%s)", item.reason)
            elif isinstance(item, ButtonPress):
                self._press(item, at)
            elif (owner := item_owner(self.features, item)) is not None:
                owner.handle(item, at)
            else:
                log.debug("no feature declared %s", type(item).__name__)
        except Exception:  # the shell's loop: log, keep the agent alive
            log.exception("handling %s failed", type(item).__name__)

    def _link_up(self, at: Now) -> None:
        if self.link_down_since is not None:
            log.info("connected to broker %s:%d", self.link.host, self.link.port)
        self.link_down_since = None
        write_link_state(self.state_dir, True, at.wall)
        self.outbox.commit()  # rows taken so far are backlog; anything newer goes live
        self._announce_online()
        self.publisher.on_link_up(at.mono)
        self.reported = None  # a full sample first on every connection

    def _pump(self, mono: float) -> None:
        try:
            self.publisher.pump(mono)
        except Exception:  # the shell's loop: a publishing bug must not stop the agent
            log.exception("publishing from the outbox failed")

    def _inbound(self, msg: Inbound, at: Now) -> None:
        try:
            house, kind, name = self.topics.parse(msg.topic)
            if kind == "ack" and house == self.house:
                self.publisher.on_ack(protocol.parse_ack(msg.payload), at.mono)
            elif house == "central" and kind == "status":
                central = protocol.parse_central_status(msg.payload)
                came_back = central.online and self.publisher.central_online is False
                self.publisher.on_central_status(central.online, central.max_backlog_rate,
                                                 at.mono)
                if came_back:  # a restarted central learns where our seqs start again
                    self._announce_online()
            elif kind == "cmd" and house == self.house and name:
                self._command(name, msg.payload, at)
        except protocol.PayloadError as exc:
            log.warning("ignored a bad message on %s: %s", msg.topic, exc.reason)

    def _command(self, name: str, payload: bytes, at: Now) -> None:
        result = self.commands.handle(
            name, payload, at, self.features, self.post,
            lambda: {"boot": self.boot, "epoch": self.outbox.epoch,
                     "outbox_rows": self.outbox.count(),
                     "last_seq": self.outbox.last_seq(), "acked": self.publisher.acked,
                     "version": __version__},
            resend=self.publisher.resend)
        if result is not None:
            self.link.publish(self.topics.cmd_result(self.house), protocol.build_cmd_result(result))

    def _press(self, press: ButtonPress, at: Now) -> None:
        outcome, refusal = self.features.answer(press, at)
        self._pressed_at = at.mono
        log.info("%s button: %s", press.button,
                 {True: "accepted", False: "refused", None: "not in use"}[outcome])
        self.speak(press_say(press.button, outcome, refusal))
        self.beep(press_beep(press.button, outcome), at)

    def indicators(self, at: Now) -> list[Indicator]:
        return [*self.features.indicators(at), broker_indicator(self.link_down_since, at.mono)]

    def _tick(self, at: Now) -> None:
        self.features.tick(at)
        if self.panel or self.voice:
            plan = plan_panel(self.indicators(at), self._prompts,
                              at.mono - self._pressed_at <= ATTENDED_FOR)
            if self.panel:
                self.panel.show(plan.lights)
            self.beep(plan.beep, at)
            self.speak(plan.say)
            self._prompts = plan.prompts
        if at.mono - self._quota_at >= QUOTA_EVERY:
            self._quota_at = at.mono
            self.outbox.commit()
            self.outbox.enforce_quota()

    def _shutdown(self) -> None:
        self.features.stop()
        self.outbox.commit()
        self._pump(time.monotonic())
        self.link.stop((self.topics.status(self.house), self._status_payload(False, "stopped")))
        if self.panel:
            self.panel.close()
        if self.voice:
            self.voice.stop()
        self.lock.release()
        self.outbox.close()
        log.info("stopped")
