"""The print feature: wires the PRINT button, COPY requests and timers to the pure core
(edge.printing.core) and to the CUPS worker (CupsPrintQueue). Main thread only.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from common.checks import CheckLine, check_line
from common.i18n import known, phrase

from ..feature import (ButtonPress, CommandOutcome, CopyRequest, Emit, Feature, FeatureContext,
                       Indicator, Now)
from . import core
from .config import PrinterConfig
from .cups_queue import CupsPrintQueue, Rescan, check_queue
from .cups_sharing import apply_share_on_lan, sharing_lines
from .keeping import Hold
from .rules import (Cancel, Enable, PrinterStatus, Release, Restart, Submit, job_ids,
                    readiness)

log = logging.getLogger(__name__)


class PrintFeature(Feature):
    name = "printing"
    commands = frozenset({"release_job", "cancel_job", "print_status"})
    items = (core.QueueSnapshot, core.ActionDone, CopyRequest)

    def __init__(self, cfg: PrinterConfig, ctx: FeatureContext, long_press: float = 2.0,
                 queue: CupsPrintQueue | None = None):
        self.cfg = cfg
        self.ctx = ctx
        self.long_press = long_press
        self.queue = queue or CupsPrintQueue(
            cfg.queue, ctx.post, server=cfg.server, poll_interval=cfg.poll_interval,
            notify_interval=cfg.notify_interval, subscribe=cfg.subscribe,
            probe_printer=cfg.probe_printer)
        self.state = core.PrintState()
        self.startup_problem = ""

    @property
    def snapshot(self):
        """The last look at the queue (None before the first)."""
        return self.state.snapshot

    @property
    def inflight(self) -> tuple:
        return self.state.inflight

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
        if self.cfg.share_on_lan and found.status == "ok":
            apply_share_on_lan(self.cfg.server, self.cfg.queue)
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
        return lines + sharing_lines(self.cfg.server, queue, self.cfg.share_on_lan)

    # ----- inputs: worker items, presses, timers, commands -----------------------------

    def handle(self, item: object, now: Now) -> bool:
        if isinstance(item, core.QueueSnapshot):
            self._apply(*core.snapshot(self.state, item, now, self.cfg))
            if item.snapshot.status.state != "missing":
                self.startup_problem = ""
        elif isinstance(item, core.ActionDone):
            self._on_done(item, now)
        elif isinstance(item, CopyRequest):
            self._apply(*core.copy(self.state, item.path, item.copy_id, self.cfg))
        else:
            return False
        return True

    def _on_done(self, item: core.ActionDone, now: Now) -> None:
        action = item.action
        if item.ok and isinstance(action, Submit):
            log.info("copy: submitted as job %d", item.job_id)
        elif item.ok and isinstance(action, (Hold, Restart)) and getattr(action, "hold", True):
            log.info("print: job %d held again after a printer fault", action.job_id)
        elif item.ok and isinstance(action, Restart):
            log.info("print: restarted stopped job %d", action.job_id)
        elif item.ok and isinstance(action, Enable):
            log.info("print: re-enabled queue %s", self.cfg.queue)
        self._apply(*core.done(self.state, item, now))

    def on_button(self, press: ButtonPress, now: Now) -> bool | None:
        if press.button != "print":
            return None
        verdict = self._apply(*core.press(self.state, press.seconds, self.long_press, self.cfg))
        self.refusal = "" if verdict.ok else str(verdict.detail or "")
        if not verdict.ok:
            log.info("print: press refused (%s)", verdict.detail)
        return verdict.ok

    def tick(self, now: Now) -> None:
        self._apply(*core.tick(self.state, now, self.cfg))

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name not in self.commands:
            return None  # arguments were checked against the vocabulary by the router
        if name == "print_status":
            return CommandOutcome(True, core.status(self.state, now))
        step = core.release_job if name == "release_job" else core.cancel_job
        verdict = self._apply(*step(self.state, args["job"], self.cfg))
        return CommandOutcome(verdict.ok, verdict.detail)

    def rescan(self, now: Now) -> Any:
        """Look the queue up afresh in CUPS; the worker reconnects and probes the printer
        at once (its answer arrives as the next snapshot)."""
        found = check_queue(self.cfg.server, self.cfg.queue)
        self.queue.submit(Rescan())
        if found.status != "ok":
            return {"printer": found.status}
        return {"printer": readiness(PrinterStatus(found.state, found.reasons),
                                     self.cfg.block_on)}

    # ----- outputs -------------------------------------------------------------------

    def metrics(self, now: Now) -> Mapping[str, Any]:
        return core.metrics(self.state, now)

    def indicator(self, now: Now) -> Indicator:
        return core.indicator(self.state, self.cfg)

    def _apply(self, state: core.PrintState, actions: list) -> core.Verdict:
        """Keep the new state, carry out its actions in order; the verdict, if any."""
        self.state = state
        verdict = core.Verdict(True)
        for action in actions:
            if isinstance(action, core.Verdict):
                verdict = action
            elif isinstance(action, Emit):
                self.ctx.emit(action.type, dict(action.data))
                if action.type != "printer.state_changed":
                    log.info("print: %s job %s", action.type, action.data.get("job", "-"))
            else:
                if isinstance(action, (Release, Cancel)):
                    log.info("print: %s job %s", type(action).__name__.lower(),
                             ",".join(map(str, job_ids(action))))
                self.queue.submit(action)
        return verdict

