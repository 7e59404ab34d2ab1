"""The print feature: wires the PRINT button, COPY requests and timers to the pure core
(edge.printing.core) and to the CUPS worker (CupsPrintQueue). Main thread only.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Mapping

from common.checks import CheckLine, check_line
from common.i18n import known, phrase

from ..feature import (ButtonPress, CommandOutcome, CopyRequest, Feature, FeatureContext,
                       Indicator, Now)
from . import core
from .config import PrinterConfig
from .cups_queue import ActionDone, CupsPrintQueue, QueueSnapshot, check_queue

log = logging.getLogger(__name__)
COUNTERS = ("print.jobs.total", "print.pages.total", "print.failed.total",
            "print.cancelled.total", "print.expired.total", "print.held.total",
            "print.released.total", "print.refused.total", "print.reenabled.total",
            "copy.jobs.total", "copy.pages.total", "copy.failed.total")
MAX_PRESS_ACTIONS = 2  # one running plus at most one queued behind it
STUCK_GRACE = 5.0  # seconds a restarted job may stay stopped before it is cancelled
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class PrintFeature(Feature):
    name = "print"

    def __init__(self, cfg: PrinterConfig, ctx: FeatureContext, long_press: float = 2.0,
                 queue: CupsPrintQueue | None = None):
        self.cfg = cfg
        self.ctx = ctx
        self.long_press = long_press
        self.queue = queue or CupsPrintQueue(
            cfg.queue, ctx.post, server=cfg.server, poll_interval=cfg.poll_interval,
            notify_interval=cfg.notify_interval, subscribe=cfg.subscribe,
            probe_printer=cfg.probe_printer)
        self.snapshot: core.Snapshot | None = None
        self.monitor = "starting"
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.intents: dict[int, str] = {}  # job id -> why we acted on it
        self.copies: dict[int, str] = {}  # job id -> copy id
        self.restarted: dict[int, float] = {}  # job id -> monotonic time of our restart
        self.confirmed_restarts: list[int] = []  # restarts done, stamped at the next tick
        self.inflight: list[object] = []  # actions sent to the worker, not yet done
        self.pressed: list[object] = []  # the subset a button press asked for
        self.last_heal: float | None = None
        self.startup_problem = ""

    # ----- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        found = check_queue(self.cfg.server, self.cfg.queue)
        if found.status == "missing":
            self.startup_problem = (
                f"CUPS has no queue named {self.cfg.queue!r} (known: "
                f"{', '.join(found.names) or 'none'}); set [printer] queue in the config "
                f"or create it with lpadmin")
            log.error("print: %s", self.startup_problem)
        elif found.status == "unreachable":
            log.warning("print: CUPS is not reachable yet; will keep trying")
        self.queue.start()

    def stop(self) -> None:
        self.queue.stop()

    def check(self) -> list[CheckLine]:
        found = check_queue(self.cfg.server, self.cfg.queue)
        queue = self.cfg.queue
        if found.status == "missing":
            return [check_line("printer.queue", False, "check.printer.missing",
                               "check.printer.missing.fix", queue=queue,
                               known=", ".join(found.names) or phrase("check.none"))]
        if found.status == "unreachable":
            return [check_line("printer.queue", False, "check.printer.cups_down",
                               "check.printer.cups_down.fix", queue=queue)]
        lines = [check_line("printer.queue", found.state != "stopped", "check.printer.queue",
                            "check.printer.queue.fix", queue=queue,
                            state=phrase(f"state.{found.state}"))]
        for reason in (r for r in found.reasons if r in self.cfg.block_on):
            words = phrase(f"reason.{reason}") if known(f"reason.{reason}") else reason
            lines.append(check_line(f"printer.reason.{reason}", False, "check.printer.blocked",
                                    "check.printer.blocked.fix", reason=words, keyword=reason))
        return lines

    # ----- items from the worker -----------------------------------------------------

    def handle(self, item: object, now: Now) -> bool:
        if isinstance(item, QueueSnapshot):
            self._on_snapshot(item, now)
        elif isinstance(item, ActionDone):
            self._on_done(item)
        elif isinstance(item, CopyRequest):
            self._on_copy(item)
        else:
            return False
        return True

    def _on_snapshot(self, item: QueueSnapshot, now: Now) -> None:
        self.monitor = item.monitor
        for effect in core.changes(self.snapshot, item.snapshot, self.intents, self.copies):
            self._apply(effect)
        for job in item.snapshot.finished:
            self.intents.pop(job.id, None)
            self.copies.pop(job.id, None)
            self.restarted.pop(job.id, None)
        self.snapshot = item.snapshot
        if item.snapshot.status.state != "missing":
            self.startup_problem = ""
        self._housekeep(now)

    def _on_done(self, item: ActionDone) -> None:
        action = item.action
        # By identity: the worker hands back the very object it was given.
        self.inflight = [a for a in self.inflight if a is not action]
        self.pressed = [a for a in self.pressed if a is not action]
        if isinstance(action, core.Submit):
            if item.ok:
                self.copies[item.job_id] = action.copy_id
                log.info("copy: submitted as job %d", item.job_id)
            else:
                self._copy_failed(action.copy_id, item.error)
        elif isinstance(action, core.Restart) and item.ok:
            self.confirmed_restarts.append(action.job_id)
            log.info("print: restarted stopped job %d", action.job_id)
        elif isinstance(action, core.Enable) and item.ok:
            self.counters["print.reenabled.total"] += 1
            self.ctx.emit("printer.reenabled", {})
            log.info("print: re-enabled queue %s", self.cfg.queue)
        elif not item.ok:
            for job_id in _job_ids(action):
                self.intents.pop(job_id, None)

    def _on_copy(self, req: CopyRequest) -> None:
        copy_id = req.copy_id if _SAFE_ID.match(req.copy_id or "") else ""
        cause = core.problem(self.snapshot.status, self.cfg.block_on) if self.snapshot \
            else "printer_offline"
        if cause:
            # Not queued for later: a copy of an ID card must not print with nobody there.
            self._copy_failed(copy_id, cause)
            return
        self._send(core.Submit(req.path, copy_id))

    def _copy_failed(self, copy_id: str, reason: str) -> None:
        self.counters["copy.failed.total"] += 1
        self.ctx.emit("copy.failed", {"reason": reason or "failed", "copy_id": copy_id})
        log.info("copy: failed (%s)", reason)

    # ----- button, timers, commands --------------------------------------------------

    def on_button(self, press: ButtonPress, now: Now) -> bool | None:
        if press.button != "print":
            return None
        if len(self.pressed) >= MAX_PRESS_ACTIONS:
            return self._refuse("busy")
        decision = core.decide_press(press.seconds, self.long_press, self.snapshot,
                                     self.cfg.block_on, self._claimed(), self.cfg.release,
                                     self.cfg.origin_window)
        if decision.action is None:
            return self._refuse(decision.refusal)
        if isinstance(decision.action, core.Release):
            for job_id in decision.action.job_ids:
                self.intents[job_id] = "release"
        else:
            self.intents[decision.action.job_id] = "button"
        self._send(decision.action, pressed=True)
        log.info("print: %s %s", "release" if isinstance(decision.action, core.Release)
                 else "cancel", _job_ids(decision.action))
        return True

    def _refuse(self, why: str) -> bool:
        self.counters["print.refused.total"] += 1
        log.info("print: press refused (%s)", why)
        return False

    def tick(self, now: Now) -> None:
        self._housekeep(now)

    def _housekeep(self, now: Now) -> None:
        snap = self.snapshot
        if snap is None or snap.status.state in core.DOWN_STATES:
            return
        while self.confirmed_restarts:
            self.restarted[self.confirmed_restarts.pop()] = now.mono
        claimed = self._claimed()
        for action in core.expired(snap, now.wall, self.cfg.hold_expiry, claimed):
            self.intents[action.job_id] = "expired"
            self._send(action)
        grace = max(STUCK_GRACE, 2 * self.cfg.poll_interval)
        for action in core.stuck(snap, self.restarted, now.mono, grace, claimed):
            if isinstance(action, core.Cancel):
                self.intents[action.job_id] = "stuck"
            self._send(action)
        if self.cfg.self_heal and not any(isinstance(a, core.Enable) for a in self.inflight) \
                and core.should_heal(snap.status, self.cfg.block_on, self.last_heal,
                                     now.mono, self.cfg.heal_interval):
            self.last_heal = now.mono
            self._send(core.Enable())

    def _send(self, action, pressed: bool = False) -> None:
        self.inflight.append(action)
        if pressed:
            self.pressed.append(action)
        self.queue.submit(action)

    def _claimed(self) -> set[int]:
        """Jobs an action is in flight for or already decided on: never targeted twice."""
        decided = {job_id for job_id, why in self.intents.items() if why != "release"}
        return {job_id for a in self.inflight for job_id in _job_ids(a)} | decided

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name == "print_status":
            return CommandOutcome(True, self.metrics(now))
        return None

    # ----- outputs -------------------------------------------------------------------

    def metrics(self, now: Now) -> Mapping[str, Any]:
        out = core.queue_metrics(self.snapshot, now.wall)
        out.update(self.counters)
        out["print.monitor"] = self.monitor
        return out

    def indicator(self, now: Now) -> Indicator:
        snap = self.snapshot
        if snap is None:
            return Indicator("ok")
        cause = core.problem(snap.status, self.cfg.block_on)
        if cause:
            return Indicator("attention", cause)
        if any(j.state == core.PROCESSING for j in snap.jobs):
            return Indicator("busy", "printing")
        if any(j.held for j in snap.jobs):
            return Indicator("prompt", "job_waiting")
        return Indicator("ok")

    def _apply(self, effect) -> None:
        if isinstance(effect, core.Count):
            self.counters[effect.name] = self.counters.get(effect.name, 0) + effect.n
        else:
            self.ctx.emit(effect.type, dict(effect.data))
            if effect.type != "printer.state_changed":
                log.info("print: %s job %s", effect.type, effect.data.get("job", "-"))


def _job_ids(action) -> tuple[int, ...]:
    if isinstance(action, core.Release):
        return action.job_ids
    if isinstance(action, (core.Cancel, core.Restart)):
        return (action.job_id,)
    return ()


def build(cfg, ctx: FeatureContext) -> PrintFeature:
    """Factory the agent calls with the whole EdgeConfig."""
    return PrintFeature(cfg.printer, ctx, long_press=cfg.panel.long_press)
