"""The print rules as pure functions over plain values: release / refuse / cancel, expiry,
stuck jobs, healing, and the events and counters a change between two queue snapshots
means. Standard library and edge.feature only; edge.printing.core keeps the state.
Pure: standard library and edge.feature only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from ..feature import Emit

# IPP job-state values (RFC 8011 5.3.7).
PENDING, HELD, PROCESSING, STOPPED, CANCELED, ABORTED, COMPLETED = 3, 4, 5, 6, 7, 8, 9
# Which light cause a base reason shows; the first match in this order wins.
CAUSES = (("media-jam", "jam"), ("media-empty", "paper_out"), ("media-needed", "paper_out"),
          ("input-tray-missing", "paper_out"), ("cover-open", "cover_open"),
          ("door-open", "cover_open"), ("marker-supply-empty", "toner_out"),
          ("toner-empty", "toner_out"), ("offline", "printer_offline"))
DOWN_STATES = ("unreachable", "missing")
JOB_WORDS = {HELD: "held", PENDING: "pending", PROCESSING: "processing", STOPPED: "stopped"}
LOCAL_ORIGINS = ("localhost", "127.0.0.1", "::1", "::ffff:127.0.0.1")


@dataclass(frozen=True)
class Job:
    """One job on the house queue; no title or user name is ever fetched."""

    id: int
    state: int
    created: float = 0.0  # unix seconds (time-at-creation)
    origin: str = ""  # job-originating-host-name: groups release, never leaves the Pi
    pages: int = 0  # job-impressions-completed
    reason: str = ""  # first job-state-reasons keyword

    @property
    def held(self) -> bool:
        return self.state == HELD


@dataclass(frozen=True)
class PrinterStatus:
    state: str = "idle"  # idle, processing, stopped, unreachable, missing
    reasons: tuple[str, ...] = ()  # base keywords, sorted, without "none" and cups-*
    reachable: bool | None = None  # the device itself answered a probe (None: not probed)


@dataclass(frozen=True)
class Snapshot:
    status: PrinterStatus
    jobs: tuple[Job, ...] = ()  # not-completed jobs, oldest first
    finished: tuple[Job, ...] = ()  # jobs that left the active list since the last snapshot


# ----- actions the shell carries out (through the CUPS worker) -------------------------

@dataclass(frozen=True)
class Release:
    job_ids: tuple[int, ...]


@dataclass(frozen=True)
class Cancel:
    job_id: int
    why: str  # "button", "command", "expired", "stuck"


@dataclass(frozen=True)
class Restart:
    job_id: int
    hold: bool = False  # restart it held (a job a printer fault ended: edge.printing.keeping)


@dataclass(frozen=True)
class Enable:
    pass


@dataclass(frozen=True)
class Submit:
    path: str
    copy_id: str


def job_ids(action: object) -> tuple[int, ...]:
    """The jobs an action targets."""
    if isinstance(action, Release):
        return action.job_ids
    job_id = getattr(action, "job_id", None)  # Cancel, Restart, keeping.Hold
    return (job_id,) if job_id is not None else ()


@dataclass(frozen=True)
class Intent:
    """Why we acted on a job: why is "release", "cancel", "expired" or "stuck"; by is
    "button" or "command" for a release or cancel someone asked for."""

    why: str
    by: str = ""


NO_INTENT = Intent("")


@dataclass(frozen=True)
class PressDecision:
    action: Release | Cancel | None
    refusal: str = ""  # why a press was refused: a light cause or "no_job", "busy"


@dataclass(frozen=True)
class Count:
    name: str
    n: int = 1


# ----- reasons ------------------------------------------------------------------------

def problem(status: PrinterStatus, block_on: Iterable[str]) -> str:
    """The light cause that blocks printing now, or ""."""
    if status.state in DOWN_STATES:
        return "printer_offline"
    blocking = set(status.reasons) & set(block_on)
    for reason, cause in CAUSES:
        if reason in blocking:
            return cause
    return "printer_fault" if blocking else ""


def readiness(status: PrinterStatus, block_on: Iterable[str]) -> str:
    """One word for the printer: "ready", "paused", a light cause, "unreachable", "missing"."""
    if status.state in DOWN_STATES:
        return status.state
    return problem(status, block_on) or ("paused" if status.state == "stopped" else "ready")


def origin_kind(job: Job, copies: Iterable[int]) -> str:
    """"copy" (the agent's own COPY job), "local" (sent on the Pi) or "lan" (another
    machine, e.g. the house PC or a phone); the host name itself never leaves the Pi."""
    if job.id in copies:
        return "copy"
    return "local" if job.origin.lower() in LOCAL_ORIGINS else "lan"


# ----- decisions ----------------------------------------------------------------------

def held_jobs(snap: Snapshot, claimed: Iterable[int] = ()) -> list[Job]:
    claimed = set(claimed)
    return sorted((j for j in snap.jobs if j.held and j.id not in claimed),
                  key=lambda j: (j.created, j.id))


def decide_press(seconds: float, long_press: float, snap: Snapshot | None,
                 block_on: Iterable[str], claimed: Iterable[int] = (), release: str = "oldest",
                 origin_window: float = 600.0) -> PressDecision:
    """A PRINT press: short releases the oldest held job, long cancels; else say why not.

    `claimed` are job ids already targeted by an action still in flight, so two quick
    presses release two different jobs, never the same one twice.
    """
    if snap is None or snap.status.state in DOWN_STATES:
        return PressDecision(None, "printer_offline")
    claimed = set(claimed)
    if seconds >= long_press:
        printing = [j for j in snap.jobs if j.state == PROCESSING and j.id not in claimed]
        target = printing[0] if printing else next(iter(held_jobs(snap, claimed)), None)
        return PressDecision(Cancel(target.id, "button")) if target else PressDecision(None, "no_job")
    cause = problem(snap.status, block_on)
    if cause:
        return PressDecision(None, cause)
    held = held_jobs(snap, claimed)
    if not held:
        return PressDecision(None, "no_job")
    first = held[0]
    if release == "origin" and first.origin:
        ids = tuple(j.id for j in held if j.origin == first.origin
                    and j.created - first.created <= origin_window)
        return PressDecision(Release(ids))
    return PressDecision(Release((first.id,)))


def expired(snap: Snapshot, now_wall: float, max_hold: float,
            claimed: Iterable[int] = ()) -> list[Cancel]:
    """Held jobs nobody came for within `max_hold` seconds."""
    return [Cancel(j.id, "expired") for j in held_jobs(snap, claimed)
            if j.created and now_wall - j.created >= max_hold]


def stuck(snap: Snapshot, restarted: Mapping[int, float], now_mono: float, grace: float,
          claimed: Iterable[int] = ()) -> list[Restart | Cancel]:
    """A job left stopped (filter failure) is restarted once; still stopped `grace`
    seconds after that restart, it is cancelled."""
    claimed = set(claimed)
    out: list[Restart | Cancel] = []
    for job in snap.jobs:
        if job.state != STOPPED or job.id in claimed:
            continue
        if job.id not in restarted:
            out.append(Restart(job.id))
        elif now_mono - restarted[job.id] >= grace:
            out.append(Cancel(job.id, "stuck"))
    return out


def should_heal(status: PrinterStatus, block_on: Iterable[str], last_try: float | None,
                now_mono: float, interval: float) -> bool:
    """Re-enable a queue CUPS paused, once the printer answers and shows no fault."""
    if status.state != "stopped" or status.reachable is False:
        return False
    if set(status.reasons) & set(block_on):
        return False
    return last_try is None or now_mono - last_try >= interval


def queue_metrics(snap: Snapshot | None, now_wall: float) -> dict:
    if snap is None:
        return {"print.state": "unknown", "print.reasons": [], "print.queue.held": 0,
                "print.queue.pending": 0, "print.queue.processing": 0,
                "print.held.oldest_age": 0}
    held = [j for j in snap.jobs if j.held]
    oldest = min((j.created for j in held if j.created), default=None)
    return {
        "print.state": snap.status.state,
        "print.reasons": list(snap.status.reasons),
        "print.queue.held": len(held),
        "print.queue.pending": sum(1 for j in snap.jobs if j.state == PENDING),
        "print.queue.processing": sum(1 for j in snap.jobs if j.state in (PROCESSING, STOPPED)),
        "print.held.oldest_age": max(0, round(now_wall - oldest)) if oldest else 0,
    }


# ----- what a change between snapshots means -----------------------------------------

def changes(prev: Snapshot | None, new: Snapshot, intents: Mapping[int, Intent],
            copies: Mapping[int, str]) -> list[Emit | Count]:
    """Events and counters for the step prev -> new.

    intents: job id -> why we acted on it (release and cancel say who asked: `by`);
    copies: job id -> copy id for COPY jobs (they also count under copy.*).
    """
    out: list[Emit | Count] = []
    if prev is None or prev.status.state != new.status.state \
            or prev.status.reasons != new.status.reasons:
        out.append(Emit("printer.state_changed",
                        {"state": new.status.state, "reasons": list(new.status.reasons)}))
    if prev is None:
        return out
    before = {j.id: j for j in prev.jobs}
    now_active = {j.id: j for j in new.jobs}
    for job in new.jobs:
        if job.id not in before and job.held and intents.get(job.id, NO_INTENT).why != "kept":
            out.append(Emit("print.job_held", {"job": job.id}))
            out.append(Count("print.held.total"))
    for job_id, old in before.items():
        if not old.held:
            continue
        after = now_active.get(job_id) or next((j for j in new.finished if j.id == job_id), None)
        if after is not None and not after.held and after.state != CANCELED:
            intent = intents.get(job_id, NO_INTENT)
            by = intent.by if intent.why == "release" and intent.by else "other"
            out.append(Emit("print.job_released", {"job": job_id, "by": by}))
            out.append(Count("print.released.total"))
    for job in new.finished:
        out.extend(_finished(job, intents.get(job.id, NO_INTENT), copies.get(job.id)))
    return out


def _finished(job: Job, intent: Intent, copy_id: str | None) -> list[Emit | Count]:
    out: list[Emit | Count] = []
    failure = ""
    if job.state == COMPLETED:
        out += [Emit("print.job_completed", {"job": job.id, "pages": job.pages}),
                Count("print.jobs.total"), Count("print.pages.total", job.pages)]
        if copy_id is not None:
            out += [Emit("copy.completed", {"pages": job.pages, "copy_id": copy_id}),
                    Count("copy.jobs.total"), Count("copy.pages.total", job.pages)]
        return out
    if job.state == CANCELED and intent.why == "expired":
        out += [Emit("print.job_expired", {"job": job.id}), Count("print.expired.total")]
        failure = "expired"
    elif job.state == CANCELED and intent.why == "stuck":
        out += [Emit("print.job_failed", {"job": job.id, "reason": "stuck"}),
                Count("print.failed.total")]
        failure = "stuck"
    elif job.state == CANCELED:
        by = intent.by if intent.why == "cancel" and intent.by else "other"
        out += [Emit("print.job_cancelled", {"job": job.id, "by": by}),
                Count("print.cancelled.total")]
        failure = "cancelled"
    else:
        failure = job.reason or "aborted"
        out += [Emit("print.job_failed", {"job": job.id, "reason": failure}),
                Count("print.failed.total")]
    if copy_id is not None:
        out += [Emit("copy.failed", {"reason": failure, "copy_id": copy_id}),
                Count("copy.failed.total")]
    return out
