"""Searchable scans: a delivered scan PDF made searchable by ocrmypdf (Tesseract) in the
background, one at a time, niced, with a queue bound and a timeout.

`OcrWorker` is the one thread that runs ocrmypdf; it writes the searchable copy beside the
original under a hidden temporary name and posts `OcrDone` to the agent's queue. The main
thread then calls `adopt`, which replaces the original (os.replace, atomic) only when OCR
worked and the original is still the file that was ordered; on any failure the original
stays untouched. File names stay on the Pi (events carry the preset and a reason only).
"""
from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from common.checks import CheckLine, check_line

from .config import OcrConfig

log = logging.getLogger(__name__)
TEMP_SUFFIX = ".ocr-tmp"
# ocrmypdf's exit codes (ocrmypdf.ExitCode) that mean something to staff.
EXIT_REASONS = {6: "has_text", 8: "encrypted", 15: "missing_tool"}
_STOP = object()


@dataclass(frozen=True)
class OcrOrder:
    """One delivered scan to make searchable; size and mtime_ns pin the file as delivered."""

    path: Path
    preset: str
    pages: int
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class OcrDone:
    """The worker's answer: ok with `result` (the searchable copy beside the original), or
    a reason: timeout, failed, missing_tool, has_text, encrypted, gone."""

    order: OcrOrder
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    result: Path | None = None


def order_for(path: Path, preset: str, pages: int) -> OcrOrder | None:
    """An order for the file as it is now (None when it is gone)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return OcrOrder(path, preset, pages, st.st_size, st.st_mtime_ns)


def temp_path(path: Path) -> Path:
    """Hidden, and not named like a scan: the scan page and retention never see it."""
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


def ocr_command(cfg: OcrConfig, src: Path, dst: Path) -> list[str]:
    """ocrmypdf at the lowest CPU priority, one page at a time; a plain PDF (no PDF/A
    conversion through Ghostscript) with ocrmypdf's lossless optimisation, which leaves
    a deskewed 200 dpi page about a quarter smaller than delivered at no measurable cost."""
    return ["nice", "-n", str(cfg.nice), "ocrmypdf", "-l", cfg.language,
            *(["--deskew"] if cfg.deskew else []), "--jobs", "1", "--output-type", "pdf",
            "--optimize", "1", "--quiet", str(src), str(dst)]


def reason_for(returncode: int) -> str:
    return EXIT_REASONS.get(returncode, "failed")


def adopt(done: OcrDone) -> str:
    """Main thread: put a successful result in the original's place. Returns "" when
    replaced, else why not ("gone": the original was deleted or changed meanwhile, e.g. by
    retention). A result that is not used is deleted."""
    result = done.result
    if not done.ok or result is None:
        return done.reason or "failed"
    now = order_for(done.order.path, done.order.preset, done.order.pages)
    if now is None or (now.size, now.mtime_ns) != (done.order.size, done.order.mtime_ns):
        result.unlink(missing_ok=True)
        return "gone"
    try:
        shutil.copymode(done.order.path, result)
        os.replace(result, done.order.path)
    except OSError as exc:
        log.warning("scan OCR: could not replace the scan: %s", exc.strerror or exc)
        result.unlink(missing_ok=True)
        return "failed"
    return ""


def order(worker: "OcrWorker", emit: Callable[[str, dict], None], preset: str, path: Path,
          pages: int) -> None:
    """Main thread: queue a delivered scan for OCR, or say why it stays image-only."""
    found = order_for(path, preset, pages)
    if found is None or not worker.submit(found):
        emit("scan.ocr_failed", {"preset": preset, "reason": "gone" if found is None else "busy"})


def finish(done: OcrDone, emit: Callable[[str, dict], None]) -> None:
    """Main thread: adopt the worker's result and report it (preset and figures only)."""
    why = adopt(done)
    if why:
        emit("scan.ocr_failed", {"preset": done.order.preset, "reason": why})
        return
    log.info("scan OCR: %d page(s) searchable in %.1fs", done.order.pages, done.seconds)
    emit("scan.ocr_completed", {"preset": done.order.preset, "pages": done.order.pages,
                                "seconds": round(done.seconds, 1)})


def check_line_for(cfg: OcrConfig) -> CheckLine:
    """`check`, when a preset asks for OCR: ocrmypdf and Tesseract's languages installed."""
    missing = [] if shutil.which("ocrmypdf") else ["ocrmypdf"]
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                                timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        listed = []
        missing.append("tesseract")
    missing += [f"tesseract-ocr-{lang}" for lang in cfg.language.split("+")
                if lang not in listed]
    return check_line("scanner.ocr", not missing, ("check.scanner.ocr.ready",
                                                   "check.scanner.ocr.missing"),
                      "check.scanner.ocr.fix", language=cfg.language,
                      missing=" ".join(missing))


def remove_leftovers(directory: Path) -> int:
    """Temporary files of a run that stopped mid-OCR (the originals are intact)."""
    removed = 0
    try:
        entries = list(directory.glob(f".*{TEMP_SUFFIX}"))
    except OSError:
        return 0
    for path in entries:
        path.unlink(missing_ok=True)
        removed += 1
    return removed


class OcrWorker:
    """One thread, one ocrmypdf at a time; `submit` never blocks (False when full)."""

    def __init__(self, cfg: OcrConfig, post: Callable[[object], None],
                 command: Callable[[OcrConfig, Path, Path], list[str]] = ocr_command):
        self.cfg = cfg
        self.post = post
        self.command = command
        self._orders: queue.Queue = queue.Queue(maxsize=cfg.queue_limit)
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="scan-ocr", daemon=True)
            self._thread.start()

    def submit(self, order: OcrOrder) -> bool:
        try:
            self._orders.put_nowait(order)
            return True
        except queue.Full:
            return False

    def stop(self) -> None:
        """Stop now: a running ocrmypdf is killed (its scan stays image-only)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._kill()
        while True:  # make room for the stop marker; dropped orders keep their originals
            try:
                self._orders.put_nowait(_STOP)
                break
            except queue.Full:
                try:
                    self._orders.get_nowait()
                except queue.Empty:
                    pass
        self._thread.join(15)
        self._thread = None

    # ----- worker thread ---------------------------------------------------------------

    def _run(self) -> None:
        while True:
            order = self._orders.get()
            if order is _STOP or self._stopping.is_set():
                return
            try:
                done = self.run_one(order)
            except Exception:  # the worker must outlive any surprise
                log.exception("scan OCR: unexpected error")
                temp_path(order.path).unlink(missing_ok=True)
                done = OcrDone(order, False, "failed")
            if not self._stopping.is_set():
                self.post(done)

    def run_one(self, order: OcrOrder) -> OcrDone:
        """Run ocrmypdf on one scan (blocking; the worker thread, or a benchmark)."""
        src, tmp = order.path, temp_path(order.path)
        if not src.is_file():
            return OcrDone(order, False, "gone")
        began = time.monotonic()
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # Tesseract: one core
        try:
            self._proc = subprocess.Popen(self.command(self.cfg, src, tmp), env=env,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            return OcrDone(order, False, "missing_tool")
        try:
            _, err = self._proc.communicate(timeout=self.cfg.timeout)
            code = self._proc.returncode
        except subprocess.TimeoutExpired:
            self._kill()
            self._proc.communicate()
            tmp.unlink(missing_ok=True)
            log.warning("scan OCR: stopped after %ds", self.cfg.timeout)
            return OcrDone(order, False, "timeout", time.monotonic() - began)
        finally:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                proc.kill()
        seconds = time.monotonic() - began
        if code != 0 or not tmp.is_file():
            tmp.unlink(missing_ok=True)
            reason = reason_for(code) if code else "failed"
            # ocrmypdf's own words may name the file: debug only.
            log.warning("scan OCR failed (%s, exit %s)", reason, code)
            log.debug("ocrmypdf said: %s", err.decode(errors="replace")[-2000:])
            return OcrDone(order, False, reason, seconds)
        return OcrDone(order, True, "", seconds, tmp)

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # ocrmypdf and its Tesseract/Ghostscript
            except (ProcessLookupError, PermissionError):
                pass
