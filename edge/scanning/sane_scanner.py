"""SaneScanner: the only module that imports `sane`; one worker thread owns the device.

The main thread sends orders (probe, scan, build); the worker posts immutable results
(DeviceReady, DeviceMissing, ScanFinished, PdfBuilt) with `post`. SANE errors end here
as reason words; nothing raised by libsane reaches the core.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import pdf
from .caps import DeviceInfo, OptionInfo, ScanPlan, pick_device
from .config import DeviceMatch
from .core import PdfBuilt, ScanFinished
from .faults import is_link_fault, parse_fault
from .sane_reader import read_frame, task_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceReady:
    device: DeviceInfo


@dataclass(frozen=True)
class DeviceMissing:
    reason: str


@dataclass(frozen=True)
class ScanOrder:
    job_id: str
    plan: ScanPlan
    workdir: Path
    first_page: int
    quality: int


@dataclass(frozen=True)
class BuildOrder:
    job_id: str
    pages: int
    workdir: Path
    dest: Path
    id_card: bool
    dpi: int
    quality: int
    thumb: Path | None


_KINDS = {0: "bool", 1: "int", 2: "float", 3: "str", 4: "button", 5: "group"}


def read_device(dev: Any, entry: tuple) -> DeviceInfo:
    """The device's options and constraints as plain data."""
    import _sane
    options = {}
    for opt in dev.opt.values():
        if not isinstance(opt.name, str) or not opt.name:
            continue
        constraint = opt.constraint
        options[opt.name] = OptionInfo(
            name=opt.name, kind=_KINDS.get(opt.type, "str"),
            constraint=tuple(constraint) if constraint is not None else None,
            is_range=isinstance(constraint, tuple),
            # Inactive options may become active once others are set (read-delay-duration).
            settable=bool(_sane.OPTION_IS_SETTABLE(opt.cap)))
    return DeviceInfo(entry[0], entry[1], entry[2], entry[3], options)


class SaneScanner:
    def __init__(self, match: DeviceMatch, post: Callable[[object], None]):
        self.match = match
        self.post = post
        self._orders: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards _dev and _current against cancel()
        self._dev: Any = None
        self._inited = False
        self._current: str | None = None
        self._cancelled: set[str] = set()
        self._defaults: dict[str, Any] = {}  # option values before a preset first changed them
        self.device: DeviceInfo | None = None  # last device found (read by check())

    # ----- main-thread API ------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sane-scanner", daemon=True)
        self._thread.start()
        self.probe()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def probe(self) -> None:
        self._orders.put(("probe",))

    def probe_now(self) -> DeviceInfo | str:
        """For `check` before start(): find and open the device once, read its options,
        close it. Returns the device, or a reason such as "missing" or "busy"."""
        import sane
        try:
            sane.init()
            try:
                entry = pick_device(sane.get_devices(), self.match)
                if entry is None:
                    return "missing"
                dev = sane.open(entry[0])
                try:
                    return read_device(dev, entry)
                finally:
                    dev.close()
            finally:
                sane.exit()
        except sane._sane.error as exc:
            return parse_fault(str(exc))

    def scan(self, order: ScanOrder) -> None:
        self._orders.put(("scan", order))

    def build(self, order: BuildOrder) -> None:
        self._orders.put(("build", order))

    def cancel(self, job_id: str) -> None:
        """Ask the worker to stop a scan; it reports it as cancelled, not as a page.

        Only a flag: the worker itself calls sane_cancel between reads (see read_frame).
        """
        with self._lock:
            self._cancelled.add(job_id)

    def adjust(self, option: str, value: Any, timeout: float = 10.0) -> bool:
        """Set a backend option on the owner thread (diagnostics; fault injection in tests)."""
        done = threading.Event()
        result: list = []
        self._orders.put(("adjust", option, value, done, result))
        return done.wait(timeout) and bool(result and result[0])

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            current = self._current
        if current:
            self.cancel(current)
        self._orders.put(("stop",))
        if self._thread is not None:
            self._thread.join(timeout)

    # ----- worker thread --------------------------------------------------------------
    def _run(self) -> None:
        while True:
            order = self._orders.get()
            try:
                if order[0] == "stop":
                    break
                getattr(self, f"_do_{order[0]}")(*order[1:])
            except Exception:  # the worker must outlive any one order
                log.exception("scanner worker: %s order failed", order[0])
                if order[0] == "scan":
                    self.post(ScanFinished(order[1].job_id, 0, "error"))
                elif order[0] == "build":
                    self.post(PdfBuilt(order[1].job_id, order[1].pages, 0, "write_failed"))
        self._close()
        self._exit_sane()

    def _close(self) -> None:
        with self._lock:
            dev, self._dev = self._dev, None
        self._defaults.clear()
        if dev is not None:
            try:
                dev.close()
            except Exception as exc:  # a vanished device may fail to close
                log.debug("closing the scanner: %s", exc)

    def _exit_sane(self) -> None:
        import sane
        if self._inited:
            sane.exit()
            self._inited = False

    def _do_probe(self) -> None:
        """Enumerate afresh (sane.exit + init) so a replugged scanner is found by model."""
        import sane
        self._close()
        self._exit_sane()
        try:
            sane.init()
            self._inited = True
            entry = pick_device(sane.get_devices(), self.match)
            if entry is None:
                self.post(DeviceMissing("missing"))
                return
            dev = sane.open(entry[0])
        except sane._sane.error as exc:
            self.post(DeviceMissing(parse_fault(str(exc))))
            return
        with self._lock:
            self._dev = dev
        self.device = read_device(dev, entry)
        self.post(DeviceReady(self.device))

    def _set(self, name: str, value: Any) -> None:
        dev = self._dev
        key = name.replace("-", "_")
        if key not in self._defaults:
            try:
                self._defaults[key] = getattr(dev, key)
            except AttributeError:  # inactive now; nothing to restore
                self._defaults[key] = None
        setattr(dev, key, value)

    def _apply(self, plan: ScanPlan) -> None:
        """Set the plan's options, first undoing what an earlier preset changed."""
        wanted = {name.replace("-", "_") for name, _ in plan.settings}
        for key, value in list(self._defaults.items()):
            if key not in wanted and value is not None:
                try:
                    setattr(self._dev, key, value)
                except (AttributeError, self._sane_error()):
                    pass  # option went inactive: its old value no longer matters
        for name, value in plan.settings:
            self._set(name, value)

    @staticmethod
    def _sane_error():
        import _sane
        return _sane.error

    def _stop_asked(self) -> bool:
        return self._current is not None and self._current in self._cancelled

    def _progress(self, line: int, total: int) -> None:
        # Called from inside python-sane's C loop on the worker thread: raising here crashes
        # the interpreter (Sane#103), so nothing may escape. A cancel makes snap() end.
        try:
            if self._stop_asked() and self._dev is not None:
                self._dev.dev.cancel()
        except BaseException:  # noqa: BLE001 - see above: never raise into python-sane
            pass

    def _do_scan(self, order: ScanOrder) -> None:
        reason, pages = self._scan_pages(order)
        if reason:
            for n in range(order.first_page, order.first_page + pages + 1):
                for suffix in ("jpg", "png"):
                    (order.workdir / f"page-{n:04d}.{suffix}").unlink(missing_ok=True)
            log.info("scan %s failed: %s", order.job_id, reason)
        self.post(ScanFinished(order.job_id, 0 if reason else pages, reason))
        if reason and is_link_fault(reason):
            self._do_probe()  # the device may have gone or come back under another name

    def _scan_pages(self, order: ScanOrder) -> tuple[str, int]:
        error = self._sane_error()
        with self._lock:
            if order.job_id in self._cancelled:
                return "cancelled", 0
            if self._dev is None:
                return "missing", 0
            self._current = order.job_id
        dev, plan, pages = self._dev, order.plan, 0
        order.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._apply(plan)
            while True:
                before = task_ids()
                try:
                    dev.start()
                except error as exc:
                    reason = parse_fault(str(exc))
                    if plan.feeder and reason == "no_docs" and pages:
                        return "", pages  # the feeder is empty: every sheet is in
                    return reason, pages
                image, reason = read_frame(dev, self._stop_asked, task_ids() - before)
                if reason == "snap":
                    image, reason = self._snap(dev, plan.feeder)
                if order.job_id in self._cancelled:
                    return "cancelled", pages
                if reason:
                    return reason, pages
                path = pdf.page_path(order.workdir, order.first_page + pages, plan.mode)
                pdf.save_page(image, path, plan.mode, plan.resolution, order.quality)
                del image
                pages += 1
                if not plan.feeder:
                    return "", pages
        except error as exc:
            return parse_fault(str(exc)), pages
        except AttributeError as exc:  # an option the device refused (inactive, read-only)
            log.warning("scanner refused a preset option: %s", exc)
            return "invalid", pages
        except OSError as exc:
            log.warning("could not write a scanned page: %s", exc.strerror or exc)
            return "disk", pages
        finally:
            with self._lock:
                self._current = None
                self._cancelled.discard(order.job_id)
            try:
                dev.cancel()
            except error:
                pass

    def _snap(self, dev: Any, feeder: bool):
        """python-sane's own reader for frames read_frame() does not handle."""
        from PIL import Image
        expected = dev.get_parameters()[2][1]
        raw, width, height, samples, _size = dev.dev.snap(feeder, False, self._progress)
        if not raw or (expected > 0 and height < expected):
            return None, "truncated"  # a cancelled scan returns a short image, no error
        mode = "RGB" if samples == 3 else "L"
        return Image.frombuffer(mode, (width, height), raw, "raw", mode, 0, 1), ""

    def _do_build(self, order: BuildOrder) -> None:
        try:
            pages = pdf.job_pages(order.workdir)[:order.pages]
            if order.id_card:
                pages = [pdf.compose_id_card(pages[0], pages[1], order.workdir / "card.jpg",
                                             order.dpi, order.quality)]
            size = pdf.build_pdf(pages, order.dest)
            if order.thumb is not None:
                pdf.make_thumbnail(pages[0], order.thumb)
        except (OSError, IndexError) as exc:
            log.warning("scan %s: PDF not written: %s", order.job_id, type(exc).__name__)
            self.post(PdfBuilt(order.job_id, order.pages, 0, "write_failed"))
            return
        self.post(PdfBuilt(order.job_id, order.pages, size))

    def _do_adjust(self, option: str, value: Any, done: threading.Event, result: list) -> None:
        try:
            if self._dev is not None:
                setattr(self._dev, option.replace("-", "_"), value)
                result.append(True)
        except (AttributeError, self._sane_error()) as exc:
            log.warning("scanner option %s not set: %s", option, exc)
        finally:
            done.set()
