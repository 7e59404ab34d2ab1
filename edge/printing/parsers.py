"""CUPS attribute dictionaries (as pycups returns them) into the core's plain values.

Pure: standard library, protocol and edge.printing.rules only. The adapter (cups_queue) fetches the
dictionaries; everything it learns from them is decided here, tested on captured data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from protocol.vocabulary import base_reason

from .rules import ABORTED, CANCELED, Job, PrinterStatus

# Asked for every job: never job-name or job-originating-user-name (titles, user names).
JOB_ATTRS = ["job-id", "job-state", "job-printer-uri", "time-at-creation",
             "job-originating-host-name", "job-impressions-completed", "job-state-reasons"]
PRINTER_ATTRS = ["printer-state", "printer-state-reasons", "device-uri"]
DEVICE_ATTRS = ["printer-state", "printer-state-reasons"]
STATES = {3: "idle", 4: "processing", 5: "stopped"}  # IPP printer-state
_KEYWORD = re.compile(r"^[a-z0-9-]{1,64}$")


def parse_reasons(keywords: Iterable[str] | str) -> tuple[str, ...]:
    """Base keywords, sorted and unique; "none" and CUPS' own cups-* bookkeeping dropped."""
    if isinstance(keywords, str):  # pycups gives a lone keyword as a plain string
        keywords = [keywords]
    out = {base_reason(k) for k in keywords if isinstance(k, str)}
    return tuple(sorted(k for k in out if k and k != "none" and not k.startswith("cups-")))


def parse_printer_state(attrs: Mapping[str, Any]) -> str:
    return STATES.get(attrs.get("printer-state"), "idle")


def merge_reasons(state: str, queue_reasons: Iterable[str], reachable: bool | None,
                  device_reasons: Iterable[str] = ()) -> tuple[str, ...]:
    """The reasons to believe, from CUPS' queue and (when probed) the device itself.

    reachable: None = not probed (CUPS' word only), False = the device did not answer.
    CUPS learns a device's reasons only while a job runs, so outside a job the device's
    own answer replaces CUPS' stale ones (keeping CUPS' "paused").
    """
    queue_reasons = set(queue_reasons)
    if reachable is None:
        return tuple(sorted(queue_reasons))
    if reachable is False:
        return tuple(sorted(queue_reasons | {"offline"}))
    if state != "processing":
        queue_reasons &= {"paused"}
    return tuple(sorted(queue_reasons | set(device_reasons)))


def parse_status(printer: Mapping[str, Any], device: Mapping[str, Any] | None = None,
                 probed: bool = False) -> PrinterStatus:
    """The queue's status from its Get-Printer-Attributes answer and, when `probed`, the
    device's own answer (`device` None: it did not answer)."""
    state = parse_printer_state(printer)
    reachable = (device is not None) if probed else None
    device_reasons = parse_reasons(device.get("printer-state-reasons", ())) if device else ()
    reasons = merge_reasons(state, parse_reasons(printer.get("printer-state-reasons", ())),
                            reachable, device_reasons)
    return PrinterStatus(state, reasons, reachable)


@dataclass(frozen=True)
class QueueCheck:
    """What `check` learns of the queue: "ok" | "missing" | "unreachable", and its state."""

    status: str
    names: tuple[str, ...] = ()
    state: str = ""
    reasons: tuple[str, ...] = ()


def parse_queue_check(printers: Mapping[str, Mapping[str, Any]], name: str) -> QueueCheck:
    """The queue out of a getPrinters answer (every queue's attributes by name)."""
    names = tuple(sorted(printers))
    if name not in printers:
        return QueueCheck("missing", names)
    attrs = printers[name]
    return QueueCheck("ok", names, parse_printer_state(attrs),
                      parse_reasons(attrs.get("printer-state-reasons", ())))


def parse_job(attrs: Mapping[str, Any], job_id: int | None = None) -> Job:
    """One job from its attributes (getJobs gives the id as the key, not an attribute)."""
    reasons = attrs.get("job-state-reasons", "")
    reason = (reasons[0] if isinstance(reasons, list) and reasons else reasons) or ""
    return Job(id=int(job_id if job_id is not None else attrs.get("job-id", 0)),
               state=int(attrs.get("job-state", 0)),
               created=float(attrs.get("time-at-creation", 0) or 0),
               origin=str(attrs.get("job-originating-host-name", "") or ""),
               pages=int(attrs.get("job-impressions-completed", 0) or 0),
               reason=reason if isinstance(reason, str) and _KEYWORD.match(reason) else "")


def is_on_queue(attrs: Mapping[str, Any], queue: str) -> bool:
    return str(attrs.get("job-printer-uri", "")).endswith(f"/printers/{queue}")


def parse_queue_jobs(jobs: Mapping[int, Mapping[str, Any]], queue: str) -> tuple[Job, ...]:
    """This queue's jobs out of a getJobs answer for every queue, oldest first."""
    mine = (parse_job(attrs, jid) for jid, attrs in jobs.items() if is_on_queue(attrs, queue))
    return tuple(sorted(mine, key=lambda j: (j.created, j.id)))


def parse_finished(attrs: Mapping[str, Any], job_id: int) -> Job:
    """A job that left the active list, from its final attributes.

    Still pending or held there means CUPS dropped it without finishing: after a cupsd
    restart CUPS keeps such a job pending but never schedules it again.
    """
    job = parse_job(attrs, job_id)
    if job.state < CANCELED:
        return Job(job.id, ABORTED, job.created, job.origin, job.pages, "lost")
    return job


def purged(job_id: int) -> Job:
    """A job CUPS no longer knows at all (history purged): it ended as cancelled."""
    return Job(job_id, CANCELED, reason="purged")
