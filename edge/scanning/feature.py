"""The scan feature: wires SaneScanner, the job store and the scan page to the core.

The imperative shell: it applies the core's actions (orders to the worker, events,
CopyRequests, file clean-up) and owns retention. Runs on the agent's main thread.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from common.checks import CheckLine, check_line

from ..feature import (ButtonPress, CommandOutcome, CopyRequest, Emit, Feature,
                       FeatureContext, Indicator, Now)
from . import core, ocr, pdf, retention
from .caps import plan_all, plan_preset
from .config import ScannerConfig
from .core import Build, Cancel, PdfBuilt, Release, ScanFinished, StartScan
from .jobs import JobStore
from .pickup import PickupMissed, PickupScan, PickupSpent, new_code
from .sane_scanner import BuildOrder, DeviceMissing, DeviceReady, SaneScanner, ScanOrder

log = logging.getLogger(__name__)
PIN_ENV = "CULTUREHOUSE_SCAN_PIN"
SWEEP_EVERY = 60.0
# No page takes this long on any scanner we know (a 600 dpi colour A4 on a slow USB 1.1
# scanner is a few minutes): past it the worker is hung inside libsane.
STUCK_AFTER = 15 * 60.0


def new_job_id() -> str:
    """A scan's id. A copy's events carry it as `copy_id`, so it must never look like a MAC
    address: 12 hex digits would, and the contract refuses the event (protocol.bounds)."""
    return uuid.uuid4().hex[:10]


class ScanFeature(Feature):
    name = "scanning"
    commands = frozenset({"scan_cancel", "scan_status"})
    items = (DeviceReady, DeviceMissing, ScanFinished, PdfBuilt, PickupSpent, PickupMissed,
             ocr.OcrDone)

    def __init__(self, cfg: ScannerConfig, ctx: FeatureContext, *,
                 timezone: str = "Asia/Ho_Chi_Minh", language: str = "vi",
                 long_press: float = 2.0, copy_enabled: bool = False):
        self.cfg = cfg
        self.ctx = ctx
        self.timezone = timezone
        self.language = language  # of the scan page
        self.long_press = float(long_press)
        self._scanning_since: float | None = None  # monotonic start of the running page
        self.copy_enabled = copy_enabled  # COPY needs the print feature to print it
        state_dir = Path(ctx.state_dir)
        self.output_dir = Path(self.cfg.output_dir) if self.cfg.output_dir else state_dir / "scans"
        self.work_dir = state_dir / "scan-work"
        self.copies_dir = state_dir / "scan-copies"
        self.thumbs_dir = state_dir / "scan-thumbs"
        self.scanner = SaneScanner(self.cfg.device, ctx.post)
        self.ocr = ocr.OcrWorker(self.cfg.ocr, ctx.post)  # searchable scans, after delivery
        self.state = core.ScanState()
        self.plans: dict = {}
        self.problems: list[str] = []
        self.store: JobStore | None = None
        self.web = None
        # Where a finished scan's pickup code is shown or said to the citizen who made it:
        # the house PC's scan page today (a voice prompt may add itself). Never MQTT or logs.
        self.pickup_displays: list[Callable[[PickupScan], None]] = []
        self._dest: dict[str, tuple[Path, Path | None, int]] = {}  # job id → (pdf, thumb, pages)
        self._probe_due: float | None = None  # monotonic; None while a probe is under way
        self._next_sweep = 0.0

    # ----- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        for path in (self.output_dir, self.copies_dir, self.thumbs_dir):
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.error("scan folder %s unusable: %s", path, exc.strerror or exc)
        shutil.rmtree(self.work_dir, ignore_errors=True)  # page images of a crashed run
        ocr.remove_leftovers(self.output_dir)  # an OCR cut short: its original is intact
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(Path(self.ctx.state_dir) / "scan-queue.sqlite3")
        self.sweep(time.time())
        queued, interrupted = self.store.load()
        self.state = core.restore([j for j in queued if j.preset in self.cfg.all_presets])
        for job in interrupted:
            self.state = replace(self.state, failed_total=self.state.failed_total + 1)
            self.ctx.emit("scan.failed", {"purpose": job.purpose, "preset": job.preset,
                                          "reason": "interrupted", "page": 1})
        if queued:
            log.info("scan queue restored: %d job(s) waiting", len(self.state.queue))
        self._sync()
        self.scanner.start()
        if any(p.ocr for p in self.cfg.all_presets.values()):
            self.ocr.start()
        if self.cfg.web.enabled:
            from .web import ScanPage
            pin = os.environ.get(PIN_ENV) or self.cfg.web.pin
            self.web = ScanPage(self.cfg.web, self.output_dir, self.thumbs_dir, self.language,
                                pin, self.cfg.retention / 3600, post=self.ctx.post)
            try:
                self.web.start()
            except OSError as exc:
                log.error("scan page not served on %s:%s: %s", self.cfg.web.address,
                          self.cfg.web.port, exc.strerror or exc)
                self.web = None
            else:
                self.web.load(self.store.scans())
                self.pickup_displays.append(self.web.show)

    def stop(self) -> None:
        self.scanner.stop()
        self.ocr.stop()
        if self.web is not None:
            self.web.stop()
        if self.store is not None:
            self._sync()
            self.store.close()

    # ----- items, presses, commands -------------------------------------------------------
    def healthy(self, now: Now) -> bool:
        """A scan that has run for STUCK_AFTER means a worker hung inside libsane."""
        return self._scanning_since is None or now.mono - self._scanning_since < STUCK_AFTER

    def handle(self, item: object, now: Now) -> bool:
        if isinstance(item, DeviceReady):
            self._probe_due = None
            if self.state.device != "ready":
                self.plans, self.problems = plan_all(self.cfg.all_presets, item.device)
                log.info("scanner ready: %s (%s)", item.device.label, item.device.name)
                for problem in self.problems:
                    log.error("scanner cannot do %s", problem)
            self._apply(*core.device_ready(self.state, now), now=now)
        elif isinstance(item, DeviceMissing):
            if self.state.device != "missing":
                log.warning("scanner not available: %s", item.reason)
            self._probe_due = now.mono + self.cfg.rescan_interval
            self._apply(*core.device_missing(self.state, now, self.cfg), now=now)
        elif isinstance(item, ScanFinished):
            self._scanning_since = None
            self._apply(*core.scan_finished(self.state, item, now, self.cfg), now=now)
        elif isinstance(item, PdfBuilt):
            self._apply(*core.pdf_built(self.state, item, now, self.cfg), now=now)
        elif isinstance(item, PickupSpent):
            self.store.spend(item.name)
        elif isinstance(item, PickupMissed):
            self.store.charge_wrong()
        elif isinstance(item, ocr.OcrDone):
            ocr.finish(item, self.ctx.emit)
        else:
            return False
        return True

    def on_button(self, press: ButtonPress, now: Now) -> bool | None:
        if press.button not in ("scan", "copy"):
            return None
        if press.button == "copy" and not self.copy_enabled:
            return False
        state, actions, accepted = core.press(
            self.state, press.button, press.seconds >= self.long_press, new_job_id(),
            now, self.cfg, frozenset(self.plans) if self.state.device == "ready"
            else frozenset(self.cfg.all_presets))
        self._apply(state, actions, now=now)
        return accepted

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name == "scan_cancel":
            self._apply(*core.cancel(self.state, now, self.cfg), now=now)
            return CommandOutcome(True, core.status_word(self.state, now))
        if name == "scan_status":
            return CommandOutcome(True, {"state": core.status_word(self.state, now),
                                         "queue": len(self.state.queue),
                                         "device": self.scanner.device.label if self.scanner.device else "",
                                         "unusable_presets": sorted(set(self.cfg.all_presets) - set(self.plans))})
        return None

    def rescan(self, now: Now) -> Any:
        """Look for the scanner again now (rescan_devices); the answer comes as an item."""
        self._request_probe(now)
        return "searching"

    def tick(self, now: Now) -> None:
        self._apply(*core.tick(self.state, now, self.cfg), now=now)
        if self.state.device == "missing" and self._probe_due is not None and now.mono >= self._probe_due:
            self._request_probe(now)
        if now.mono >= self._next_sweep:
            self._next_sweep = now.mono + SWEEP_EVERY
            self.sweep(now.wall)

    def _request_probe(self, now: Now) -> None:
        self._probe_due = None
        self.scanner.probe()

    # ----- outputs ---------------------------------------------------------------------------
    def metrics(self, now: Now) -> Mapping[str, Any]:
        return core.metrics(self.state, now)

    def indicator(self, now: Now) -> Indicator:
        return core.indicator(self.state, now)

    def check(self) -> list[CheckLine]:
        device = self.scanner.device
        if device is None and not self.scanner.running:  # `check` runs us unstarted
            found = self.scanner.probe_now()
            device = found if not isinstance(found, str) else None
        if device is None:
            return [check_line("scanner.device", False, "check.scanner.missing",
                               "check.scanner.missing.fix")]
        lines = [check_line("scanner.device", True, "check.scanner.found", label=device.label)]
        for name, preset in sorted(self.cfg.all_presets.items()):
            _plan, why = plan_preset(preset, device)
            lines.append(check_line(f"scanner.preset.{name}", not why,
                                    ("check.scanner.preset.supported",
                                     "check.scanner.preset.unsupported"),
                                    "check.scanner.preset.fix", tuple(why), name=name))
        # A folder the agent will create at start counts when its parent is writable.
        folder = Path(self.output_dir)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        writable = os.access(folder, os.W_OK)
        lines.append(check_line("scanner.output", writable, ("check.scanner.output.writable",
                                                             "check.scanner.output.unwritable"),
                                "check.scanner.output.fix", folder=self.output_dir))
        if any(p.ocr for p in self.cfg.all_presets.values()):
            lines.append(ocr.check_line_for(self.cfg.ocr))
        return lines

    # ----- applying actions --------------------------------------------------------------
    def _apply(self, state: core.ScanState, actions: list, now: Now) -> None:
        self.state = state
        for action in actions:
            if isinstance(action, StartScan):
                self._start_scan(action, now)
            elif isinstance(action, Build):
                self._build(action)
            elif isinstance(action, Release):
                self._release(action)
            elif isinstance(action, Emit):
                self.ctx.emit(action.type, dict(action.data))
            elif isinstance(action, Cancel):
                self.scanner.cancel(action.job.id)
        if actions:
            self._sync()

    def _sync(self) -> None:
        if self.store is not None:
            s = self.state.session
            self.store.sync(self.state.queue, s.job if s is not None else None)

    def _start_scan(self, action: StartScan, now: Now) -> None:
        plan = self.plans.get(action.job.preset)
        if plan is None:  # the device cannot do this preset (logged at start-up)
            self.ctx.post(ScanFinished(action.job.id, 0, "unsupported"))
            return
        log.info("scan %s: page %d (%s)", action.job.id, action.first_page, action.job.preset)
        self._scanning_since = now.mono
        preset = self.cfg.all_presets[action.job.preset]
        self.scanner.scan(ScanOrder(action.job.id, plan, self.work_dir / action.job.id,
                                    action.first_page, preset.jpeg_quality))

    def _build(self, action: Build) -> None:
        job = action.job
        if job.id in self._dest:
            dest, thumb, _ = self._dest[job.id]
        elif job.purpose == "copy":
            dest, thumb = self.copies_dir / f"copy-{job.id}.pdf", None
        else:
            taken = {f.name for f in pdf.recent_scans(self.output_dir, 10_000)} | \
                {s.name for s in self.store.scans()}  # a record outlives a file moved away
            name = pdf.scan_name(job.created, self.timezone, taken)
            dest, thumb = self.output_dir / name, self.thumbs_dir / (name[:-4] + ".jpg")
            self.store.record_scan(name, job.created)  # retention counts from this time
        self._dest[job.id] = (dest, thumb, action.pages)
        preset = self.cfg.all_presets[job.preset]
        plan = self.plans.get(job.preset)
        self.scanner.build(BuildOrder(job.id, action.pages, self.work_dir / job.id, dest,
                                      preset.layout == "id_card",
                                      plan.resolution if plan else preset.resolution,
                                      preset.jpeg_quality, thumb))

    def _release(self, action: Release) -> None:
        job = action.job
        shutil.rmtree(self.work_dir / job.id, ignore_errors=True)
        dest, thumb, pages = self._dest.pop(job.id, (None, None, 0))
        if action.completed and dest is not None:
            log.info("scan %s: %d page(s) delivered (%s)", job.id, pages, job.purpose)
            if job.purpose == "copy":
                self.ctx.post(CopyRequest(str(dest), pages, job.id))
            else:
                self._give_code(dest.name)
                if self.cfg.all_presets[job.preset].ocr:  # after "scan ready", never before
                    ocr.order(self.ocr, self.ctx.emit, job.preset, dest, pages)
        elif dest is not None:  # a dropped job leaves nothing behind
            dest.unlink(missing_ok=True)
            if thumb is not None:
                thumb.unlink(missing_ok=True)
            self._forget([dest.name])

    def _give_code(self, name: str) -> None:
        """A one-time pickup code for a finished scan, shown where its citizen is."""
        scans = self.store.scans()
        code = new_code({s.code for s in scans if s.code})  # also spent ones: never reused
        self.store.set_code(name, code)
        made = next((s.made for s in scans if s.name == name), time.time())
        for display in self.pickup_displays:
            display(PickupScan(name, made, code))

    def _forget(self, names: list[str]) -> None:
        if names:
            self.store.forget(names)
            if self.web is not None:
                self.web.forget(names)

    def sweep(self, now_wall: float) -> None:
        """Retention: scans and thumbnails `retention` after they were made (by the time on
        record), copies after `copy_retention`; a time in the future goes at once."""
        recorded = {s.name: s.made for s in self.store.scans()} if self.store else {}
        self._forget(retention.sweep(self.output_dir, self.thumbs_dir, self.copies_dir,
                                     recorded, now_wall, self.cfg.retention,
                                     self.cfg.copy_retention))
