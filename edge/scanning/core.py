"""Scan decisions: the job queue, multi-page and ID-card sessions, faults, lights, metrics.

Pure: standard library, edge.feature and the scanner config only. Every function takes
the state and `now` and returns a new state plus actions (data) for the shell to apply.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..feature import Emit, Indicator, Now
from .config import ScannerConfig
from .faults import QUIET_REASONS, fault_cause

FUTURE_SLACK = 60.0  # seconds a scan's time may lie ahead of the clock (clock adjustments)

# ----- state ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanJob:
    id: str
    purpose: str  # "scan" or "copy"
    preset: str
    created: float  # wall clock, names the PDF


@dataclass(frozen=True)
class Session:
    """The job being worked on. phase: scanning | building | next_page | turn_card."""

    job: ScanJob
    phase: str
    started: float  # monotonic
    pages: int = 0
    built_pages: int = 0
    size: int = 0
    deadline: float = 0.0  # monotonic end of next_page / turn_card
    finish_after: bool = False  # long press during a page: finish when it is in


@dataclass(frozen=True)
class ScanState:
    device: str = "searching"  # searching | ready | missing
    queue: tuple[ScanJob, ...] = ()
    session: Session | None = None
    fault: str = ""
    fault_until: float = 0.0
    jobs_total: int = 0
    pages_total: int = 0
    failed_total: int = 0


# ----- actions (applied by the shell in order) -----------------------------------------

@dataclass(frozen=True)
class StartScan:
    job: ScanJob
    first_page: int


@dataclass(frozen=True)
class Build:
    job: ScanJob
    pages: int


@dataclass(frozen=True)
class Release:
    """The job is over: delete its page images; deliver (copy) if `completed`."""

    job: ScanJob
    completed: bool


@dataclass(frozen=True)
class Cancel:
    job: ScanJob


# ----- items posted by the scanner worker ------------------------------------------------

@dataclass(frozen=True)
class ScanFinished:
    job_id: str
    pages: int  # good pages added by this order
    reason: str = ""  # "" = success, else a fault reason or "cancelled"


@dataclass(frozen=True)
class PdfBuilt:
    job_id: str
    pages: int
    size: int
    error: str = ""


# ----- decisions --------------------------------------------------------------------------

def _is_multi(cfg: ScannerConfig, job: ScanJob) -> bool:
    p = cfg.all_presets[job.preset]
    return p.layout == "pages" and p.source == "flatbed" and p.more_pages


def _is_id_card(cfg: ScannerConfig, job: ScanJob) -> bool:
    return cfg.all_presets[job.preset].layout == "id_card"


def _start_next(state: ScanState, now: Now) -> tuple[ScanState, list]:
    if state.session is not None or not state.queue or state.device != "ready":
        return state, []
    job, rest = state.queue[0], state.queue[1:]
    session = Session(job=job, phase="scanning", started=now.mono)
    return (replace(state, queue=rest, session=session),
            [StartScan(job, 1), Emit("scan.started", {"purpose": job.purpose, "preset": job.preset,
                                                      "waited": round(max(0.0, now.wall - job.created), 1)})])


def _finish(state: ScanState, now: Now) -> tuple[ScanState, list]:
    """End the session with its pages (the PDF holding them is built)."""
    s = state.session
    if s.built_pages != s.pages:
        return replace(state, session=replace(s, phase="building")), []
    data = {"purpose": s.job.purpose, "preset": s.job.preset, "pages": s.pages, "bytes": s.size,
            "seconds": round(now.mono - s.started, 1)}
    state = replace(state, session=None, jobs_total=state.jobs_total + 1,
                    pages_total=state.pages_total + s.pages, fault="")
    state, more = _start_next(state, now)
    return state, [Release(s.job, True), Emit("scan.completed", data), *more]


def _fail(state: ScanState, reason: str, now: Now, cfg: ScannerConfig) -> tuple[ScanState, list]:
    """A page failed: keep a session that already has pages, else drop the job."""
    s = state.session
    data = {"purpose": s.job.purpose, "preset": s.job.preset, "reason": reason, "page": s.pages + 1}
    faulted = reason not in QUIET_REASONS
    state = replace(state, failed_total=state.failed_total + 1,
                    fault=reason if faulted else state.fault,
                    fault_until=now.mono + cfg.fault_display if faulted else state.fault_until)
    actions: list = [Emit("scan.failed", data)]
    if s.pages and reason != "cancelled":
        phase, window = (("turn_card", cfg.id_card_window) if _is_id_card(cfg, s.job)
                         else ("next_page", cfg.next_page_window))
        return replace(state, session=replace(s, phase=phase, deadline=now.mono + window,
                                              finish_after=False)), actions
    actions.append(Release(s.job, False))
    state = replace(state, session=None)
    if faulted and state.queue:
        # Whoever queued behind a jam must press again once it is cleared.
        for job in state.queue:
            actions.append(Emit("scan.failed", {"purpose": job.purpose, "preset": job.preset,
                                                "reason": "aborted", "page": 1}))
            actions.append(Release(job, False))
        return replace(state, queue=(), failed_total=state.failed_total + len(state.queue)), actions
    state, more = _start_next(state, now)
    return state, actions + more


def press(state: ScanState, purpose: str, long: bool, job_id: str, now: Now,
          cfg: ScannerConfig, usable: frozenset[str]) -> tuple[ScanState, list, bool]:
    """SCAN or COPY pressed; `usable` are the presets the device can do. → (state, actions, accepted)."""
    preset = cfg.scan_preset if purpose == "scan" else cfg.copy_preset
    s = state.session
    if s is not None and s.job.purpose == purpose:
        if s.phase == "next_page":
            if long:
                return (*_finish(state, now), True)
            return (replace(state, fault="", session=replace(s, phase="scanning")),
                    [StartScan(s.job, s.pages + 1)], True)
        if s.phase == "turn_card":
            if long:
                return (*_fail(state, "cancelled", now, cfg), True)
            return (replace(state, fault="", session=replace(s, phase="scanning")),
                    [StartScan(s.job, s.pages + 1)], True)
        if s.phase == "scanning" and long and _is_multi(cfg, s.job):
            return replace(state, session=replace(s, finish_after=True)), [], True
    if state.device == "missing" or preset not in usable and state.device == "ready":
        return state, [], False
    actions: list = []
    if s is not None and s.phase == "next_page":
        state, actions = _finish(state, now)  # another button ends a multi-page session
    if len(state.queue) >= cfg.queue_limit and (state.session is not None or state.queue):
        return state, actions, bool(actions)
    job = ScanJob(id=job_id, purpose=purpose, preset=preset, created=now.wall)
    state = replace(state, queue=state.queue + (job,), fault="")
    state, more = _start_next(state, now)
    return state, actions + more, True


def scan_finished(state: ScanState, item: ScanFinished, now: Now,
                  cfg: ScannerConfig) -> tuple[ScanState, list]:
    s = state.session
    if s is None or s.job.id != item.job_id or s.phase != "scanning":
        return state, []
    if item.reason:
        return _fail(state, item.reason, now, cfg)
    pages = s.pages + item.pages
    s = replace(s, pages=pages)
    if _is_id_card(cfg, s.job) and pages < 2:
        return replace(state, session=replace(s, phase="turn_card",
                                              deadline=now.mono + cfg.id_card_window)), []
    if _is_multi(cfg, s.job) and not s.finish_after:
        # Build now so the PDF appears at once; another page rebuilds it under the same name.
        return replace(state, session=replace(s, phase="next_page",
                                              deadline=now.mono + cfg.next_page_window)), [Build(s.job, pages)]
    return replace(state, session=replace(s, phase="building")), [Build(s.job, pages)]


def pdf_built(state: ScanState, item: PdfBuilt, now: Now, cfg: ScannerConfig) -> tuple[ScanState, list]:
    s = state.session
    if s is None or s.job.id != item.job_id:
        return state, []
    if item.error:
        return _fail(replace(state, session=replace(s, pages=0)), item.error, now, cfg)
    s = replace(s, built_pages=item.pages, size=item.size)
    state = replace(state, session=s)
    if s.phase == "building" and s.built_pages == s.pages:
        return _finish(state, now)
    return state, []


def tick(state: ScanState, now: Now, cfg: ScannerConfig) -> tuple[ScanState, list]:
    """Deadlines: a multi-page session ends, an unturned ID card is dropped, a fault fades."""
    if state.fault and state.fault != "missing" and now.mono >= state.fault_until:
        state = replace(state, fault="")
    s = state.session
    if s is not None and s.deadline and now.mono >= s.deadline:
        if s.phase == "next_page":
            return _finish(state, now)
        if s.phase == "turn_card":
            return _fail(replace(state, session=replace(s, pages=0)), "timeout", now, cfg)
    return state, []


def device_ready(state: ScanState, now: Now) -> tuple[ScanState, list]:
    state = replace(state, device="ready", fault="" if state.fault == "missing" else state.fault)
    return _start_next(state, now)


def device_missing(state: ScanState, now: Now, cfg: ScannerConfig) -> tuple[ScanState, list]:
    """The scanner is gone: the running job fails, queued jobs wait for it."""
    actions: list = []
    if state.session is not None and state.session.phase == "scanning":
        state, actions = _fail(replace(state, session=replace(state.session, pages=0)),
                               "missing", now, cfg)
    return replace(state, device="missing", fault="missing"), actions


def cancel(state: ScanState, now: Now, cfg: ScannerConfig) -> tuple[ScanState, list]:
    """A technician's cancel: stop the page being scanned, or drop a waiting session."""
    s = state.session
    if s is None:
        return state, []
    if s.phase == "scanning":
        return state, [Cancel(s.job)]  # the worker reports ScanFinished(reason="cancelled")
    return _fail(replace(state, session=replace(s, pages=0)), "cancelled", now, cfg)


def restore(jobs: list[ScanJob]) -> ScanState:
    """The queue as it was persisted before a restart."""
    return ScanState(queue=tuple(jobs))


# ----- outputs ----------------------------------------------------------------------------

def indicator(state: ScanState, now: Now) -> Indicator:
    if state.device == "missing":
        return Indicator("attention", fault_cause("missing"))
    if state.fault and now.mono < state.fault_until:
        return Indicator("attention", fault_cause(state.fault))
    s = state.session
    if s is not None and s.phase == "turn_card":
        return Indicator("prompt", "turn_card")
    if s is not None and s.phase == "next_page":
        return Indicator("prompt", "next_page")
    if s is not None or state.queue:
        return Indicator("busy", "scanning")
    return Indicator()


def status_word(state: ScanState, now: Now) -> str:
    if state.device != "ready":
        return state.device
    s = state.session
    if s is not None:
        return "waiting" if s.phase in ("next_page", "turn_card") else "scanning"
    if state.fault and now.mono < state.fault_until:
        return "fault"
    return "idle"


def metrics(state: ScanState, now: Now) -> dict:
    return {"scan.state": status_word(state, now), "scan.queue": len(state.queue),
            "scan.jobs.total": state.jobs_total, "scan.pages.total": state.pages_total,
            "scan.failed.total": state.failed_total}


def expired(files: list[tuple[str, float]], now_wall: float, keep: float) -> list[str]:
    """Names of files (name, time) older than `keep` seconds, or dated in the future (past
    a minute's clock slack): those would otherwise never expire."""
    return [name for name, t in files if now_wall - t >= keep or t - now_wall > FUTURE_SLACK]
