"""CupsPrintQueue: the only code that talks to CUPS (pycups) and to the printer itself.

One worker thread owns every pycups Connection; it runs actions posted by the feature,
watches the queue through a CUPS subscription (polling as the fallback) and posts
immutable QueueSnapshot / ActionDone items. CUPS errors become states, never exceptions.
What the attribute dictionaries mean is decided in edge.printing.parsers.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from .core import ActionDone, QueueSnapshot
from .keeping import Hold
from .parsers import (DEVICE_ATTRS, JOB_ATTRS, PRINTER_ATTRS, QueueCheck, parse_finished,
                      parse_queue_check, parse_queue_jobs, parse_status, purged)
from .rules import (Cancel, Enable, Job, PrinterStatus, Release, Restart, Snapshot, Submit,
                    job_ids)

log = logging.getLogger(__name__)
IPP_NOT_FOUND = 0x0406  # client-error-not-found: no such printer / job / subscription
IPP_NOT_POSSIBLE = 0x0404  # client-error-not-possible: e.g. releasing a finished job
EVENTS = ["job-created", "job-state-changed", "job-completed", "printer-state-changed",
          "printer-stopped", "printer-deleted"]
_STOP = object()


@dataclass(frozen=True)
class Rescan:
    """Look again now with fresh connections (after a re-plug): the `rescan_devices` path."""


class CupsDown(Exception):
    """Raised inside the worker only; becomes state "unreachable" or "missing" (or, for
    an action on a job, the error "not_found" / "not_possible")."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def _translate(exc: Exception) -> CupsDown:
    import cups
    code = exc.args[0] if isinstance(exc, cups.IPPError) and exc.args else None
    return CupsDown({IPP_NOT_FOUND: "missing", IPP_NOT_POSSIBLE: "refused"}.get(code,
                                                                              "unreachable"))


def check_queue(server: str, name: str) -> QueueCheck:
    """Look the queue up once, from the calling thread (its own Connection)."""
    import cups
    try:
        if server:
            cups.setServer(server)
        printers = cups.Connection().getPrinters()
    except (RuntimeError, cups.IPPError, cups.HTTPError):
        return QueueCheck("unreachable")
    return parse_queue_check(printers, name)


class CupsPrintQueue:
    def __init__(self, name: str, post: Callable[[object], None], server: str = "",
                 poll_interval: float = 3.0, notify_interval: float = 0.5,
                 subscribe: bool = True, probe_printer: bool = True, lease: int = 3600):
        self.name = name
        self.post = post
        self.server = server
        self.poll_interval = poll_interval
        self.notify_interval = notify_interval
        self.subscribe = subscribe
        self.probe_printer = probe_printer
        self.lease = lease
        self.peak_backlog = 0  # most actions ever waiting behind the running one
        self._commands: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        # Worker-thread state below: never touched from another thread.
        self._conn = None
        self._probe = None
        self._sub: int | None = None
        self._sub_renew = 0.0
        self._seq = 0
        self._active: dict[int, Job] = {}
        self._last: Snapshot | None = None
        self._last_monitor = ""

    # ----- main-thread side ----------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"cups-{self.name}", daemon=True)
        self._thread.start()

    def submit(self, action: object) -> None:
        self._commands.put(action)
        self.peak_backlog = max(self.peak_backlog, self._commands.qsize() - 1)

    def stop(self) -> None:
        if self._thread is not None:
            self._commands.put(_STOP)
            self._thread.join(10)
            self._thread = None

    # ----- worker thread -------------------------------------------------------------

    def _run(self) -> None:
        next_full = next_notify = 0.0
        while True:
            wait = max(0.0, min(next_full, next_notify) - time.monotonic())
            try:
                command = self._commands.get(timeout=wait)
            except queue.Empty:
                command = None
            if command is _STOP:
                break
            try:
                if command is not None:
                    began = time.perf_counter()
                    done = self._do(command)
                    self.post(dataclasses.replace(done, seconds=time.perf_counter() - began))
                    next_full = 0.0
                now = time.monotonic()
                if now >= next_notify:
                    next_notify = now + self.notify_interval
                    if self._notified():
                        next_full = 0.0
                if time.monotonic() >= next_full:
                    next_full = time.monotonic() + self.poll_interval
                    self._publish(self._snapshot())
            except CupsDown as down:
                self._drop("missing" if down.state == "missing" else "unreachable")
                next_full = time.monotonic() + self.poll_interval
            except Exception:  # the worker must outlive any surprise from libcups
                log.exception("print queue worker: unexpected error; reconnecting")
                self._drop("unreachable")
                next_full = time.monotonic() + self.poll_interval
        self._close()

    def _connection(self):
        import cups
        if self._conn is None:
            try:
                if self.server:
                    cups.setServer(self.server)  # per-thread in libcups
                self._conn = cups.Connection()
            except RuntimeError:
                raise CupsDown("unreachable") from None
        return self._conn

    def _call(self, fn, *args, **kwargs):
        import cups
        try:
            return fn(*args, **kwargs)
        except (cups.IPPError, cups.HTTPError, RuntimeError) as exc:
            raise _translate(exc) from None

    def _drop(self, state: str) -> None:
        self._conn = None
        self._sub = None
        jobs = tuple(self._last.jobs) if self._last else ()
        self._publish(Snapshot(PrinterStatus(state), jobs))

    def _close(self) -> None:
        if self._conn is not None and self._sub is not None:
            try:
                self._conn.cancelSubscription(self._sub)
            except Exception:  # cupsd may already be gone; the lease ends by itself
                pass
        self._conn = self._probe = None

    def _publish(self, snap: Snapshot) -> None:
        monitor = "subscription" if self._sub is not None else "polling"
        if snap != self._last or monitor != self._last_monitor:
            if self._last is None or snap.status != self._last.status:
                log.info("printer %s: %s %s", self.name, snap.status.state,
                         ",".join(snap.status.reasons) or "-")
            self._last, self._last_monitor = snap, monitor
            self.post(QueueSnapshot(snap, monitor))

    # ----- actions -------------------------------------------------------------------

    def _do(self, action) -> ActionDone:
        try:
            conn = self._connection()
            if isinstance(action, Release):
                for job_id in action.job_ids:
                    self._call(conn.setJobHoldUntil, job_id, "no-hold")
            elif isinstance(action, Cancel):
                self._call(conn.cancelJob, action.job_id)
            elif isinstance(action, Hold):
                self._call(conn.setJobHoldUntil, action.job_id, "indefinite")
            elif isinstance(action, Restart) and action.hold:
                self._call(conn.restartJob, action.job_id, job_hold_until="indefinite")
            elif isinstance(action, Restart):
                self._call(conn.restartJob, action.job_id)
            elif isinstance(action, Enable):
                self._call(conn.enablePrinter, self.name)
            elif isinstance(action, Rescan):
                self._conn = self._probe = None  # the next look connects afresh
            elif isinstance(action, Submit):
                if not os.path.isfile(action.path):
                    return ActionDone(action, False, error="file_missing")
                # A neutral title: titles may carry personal names and never leave the Pi.
                job_id = self._call(conn.printFile, self.name, action.path, "copy",
                                    {"job-hold-until": "no-hold"})
                return ActionDone(action, True, job_id=job_id)
            return ActionDone(action, True)
        except CupsDown as down:
            error = down.state
            if down.state in ("missing", "refused") and job_ids(action):
                # The job, not the queue, is gone or already finished: keep the connection.
                error = "not_found" if down.state == "missing" else "not_possible"
            else:
                self._conn = None
            log.warning("print action %s failed: %s", type(action).__name__.lower(), error)
            return ActionDone(action, False, error=error)

    # ----- watching ------------------------------------------------------------------

    def _notified(self) -> bool:
        """True when CUPS reported an event since the last look (or cannot tell)."""
        if not self.subscribe:
            return False
        import cups
        conn = self._connection()
        now = time.monotonic()
        try:
            if self._sub is None:
                uri = f"ipp://localhost/printers/{self.name}"
                self._sub = conn.createSubscription(uri, events=EVENTS,
                                                    lease_duration=self.lease)
                self._sub_renew = now + self.lease / 2
                self._seq = 0
                return True
            if now >= self._sub_renew:
                conn.renewSubscription(self._sub, lease_duration=self.lease)
                self._sub_renew = now + self.lease / 2
            got = conn.getNotifications([self._sub], [self._seq + 1])
        except cups.IPPError as exc:
            # Subscription gone (cupsd restarted) or refused by policy: poll, retry later.
            if self._sub is not None:
                log.info("print queue: CUPS subscription lost (%s); polling", exc.args[0])
            self._sub = None
            if exc.args and exc.args[0] == IPP_NOT_FOUND:
                return True
            raise _translate(exc) from None
        except (cups.HTTPError, RuntimeError) as exc:
            raise _translate(exc) from None
        events = got.get("events", [])
        seqs = [e.get("notify-sequence-number", 0) for e in events]
        if seqs and max(seqs) > self._seq:
            self._seq = max(seqs)
            return True
        return False

    def _snapshot(self) -> Snapshot:
        conn = self._connection()
        printer = self._call(conn.getPrinterAttributes, self.name,
                             requested_attributes=PRINTER_ATTRS)
        probed, device = self._probe_device(printer.get("device-uri", "")) \
            if self.probe_printer else (False, None)
        status = parse_status(printer, device, probed)
        jobs = parse_queue_jobs(self._call(conn.getJobs, which_jobs="not-completed",
                                           requested_attributes=JOB_ATTRS), self.name)
        active = {job.id: job for job in jobs}
        finished = []
        for jid in sorted(set(self._active) - set(active)):
            try:
                finished.append(parse_finished(self._call(
                    conn.getJobAttributes, jid, requested_attributes=JOB_ATTRS), jid))
            except CupsDown as down:
                if down.state != "missing":
                    raise
                finished.append(purged(jid))
        self._active = active
        return Snapshot(status, jobs, tuple(finished))

    def _probe_device(self, uri: str) -> tuple[bool, dict | None]:
        """Ask an IPP printer directly (CUPS shows an offline printer as idle):
        (probed, its attributes or None when it did not answer)."""
        import cups
        parts = urlsplit(uri)
        if parts.scheme not in ("ipp", "ipps") or not parts.hostname:
            return False, None
        try:
            if self._probe is None:
                host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
                encryption = cups.HTTP_ENCRYPT_ALWAYS if parts.scheme == "ipps" \
                    else cups.HTTP_ENCRYPT_IF_REQUESTED
                self._probe = cups.Connection(host=host, port=parts.port or 631,
                                              encryption=encryption)
            return True, self._probe.getPrinterAttributes(uri=uri,
                                                          requested_attributes=DEVICE_ATTRS)
        except (cups.IPPError, cups.HTTPError, RuntimeError):
            self._probe = None
            return True, None
