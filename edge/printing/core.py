"""Print decisions: one frozen PrintState and the transitions that change it.

Pure: standard library, edge.feature, the printer config and the rules. Every transition
(press, snapshot, done, tick, copy, release_job, cancel_job) takes the state and `now` and
returns a new state plus actions (data) for the shell: CUPS actions for the worker, Emit
for events, one Verdict for a press or a command.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from ..feature import Emit, Indicator, Now
from .config import PrinterConfig
from .keeping import Hold, fault_since, to_hold, to_restart
from .rules import (DOWN_STATES, HELD, JOB_WORDS, PENDING, PROCESSING, Cancel, Count, Enable,
                    Intent, Job, Release, Restart, Snapshot, Submit, changes, decide_press,
                    expired, job_ids, origin_kind, problem, queue_metrics, should_heal, stuck)

COUNTERS = ("print.jobs.total", "print.pages.total", "print.failed.total",
            "print.cancelled.total", "print.expired.total", "print.held.total",
            "print.released.total", "print.refused.total", "print.reenabled.total",
            "print.kept.total",
            "copy.jobs.total", "copy.pages.total", "copy.failed.total")
MAX_PRESS_ACTIONS = 2  # one running plus at most one queued behind it
STUCK_GRACE = 5.0  # seconds a restarted job may stay stopped before it is cancelled
MAX_STATUS_JOBS = 50
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _table(values: Mapping | None = None) -> Mapping:
    return MappingProxyType(dict(values or {}))


# ----- state and what the worker posts --------------------------------------------------

@dataclass(frozen=True)
class PrintState:
    snapshot: Snapshot | None = None
    monitor: str = "starting"  # "subscription" or "polling" once the worker reports
    intents: Mapping[int, Intent] = field(default_factory=_table)  # job id -> our reason
    copies: Mapping[int, str] = field(default_factory=_table)  # job id -> copy id
    restarted: Mapping[int, float] = field(default_factory=_table)  # job id -> mono time
    kept: Mapping[int, str] = field(default_factory=_table)  # job id -> fault that took it back
    fault_since: float | None = None  # monotonic time a fault that takes jobs back appeared
    inflight: tuple = ()  # actions sent to the worker, not yet done
    pressed: tuple = ()  # the subset a button press asked for
    last_heal: float | None = None  # monotonic time of the last re-enable
    counters: Mapping[str, int] = field(default_factory=lambda: _table(dict.fromkeys(COUNTERS, 0)))


@dataclass(frozen=True)
class QueueSnapshot:
    """Posted by the worker when what the queue looks like has changed."""

    snapshot: Snapshot
    monitor: str  # "subscription" or "polling"


@dataclass(frozen=True)
class ActionDone:
    """Posted by the worker for every action it carried out (or failed to)."""

    action: object
    ok: bool
    job_id: int = 0  # the new job's id for Submit
    error: str = ""  # short keyword: "unreachable", "missing", "not_found", "file_missing", ...
    seconds: float = 0.0  # time spent in CUPS for it (the benchmark separates it from ours)


@dataclass(frozen=True)
class Verdict:
    """The answer to a press (detail: why refused) or a command (detail: its result)."""

    ok: bool
    detail: Any = None


# ----- small steps ----------------------------------------------------------------------

def _count(state: PrintState, name: str, n: int = 1) -> PrintState:
    return replace(state, counters=_table({**state.counters,
                                           name: state.counters.get(name, 0) + n}))


def _without(items: tuple, action: object) -> tuple:
    """`items` less one occurrence of `action` (equal actions in flight are interchangeable)."""
    for i, item in enumerate(items):
        if item == action:
            return items[:i] + items[i + 1:]
    return items


def claimed(state: PrintState) -> set[int]:
    """Jobs an action is in flight for or already decided on: never targeted twice. A
    released job stays claimed until a snapshot shows it no longer held (then a long
    press may still cancel it while it prints)."""
    held = {j.id for j in state.snapshot.jobs if j.held} if state.snapshot else set()
    # A kept job is claimed until it shows held again; then a press may release it.
    decided = {job_id for job_id, intent in state.intents.items()
               if (job_id in held) == (intent.why == "release")
               or intent.why not in ("release", "kept")}
    return {job_id for a in state.inflight for job_id in job_ids(a)} | decided


def _send(state: PrintState, action: object, intent: Intent | None = None,
          pressed: bool = False) -> PrintState:
    intents = state.intents
    if intent is not None:
        intents = _table({**intents, **{job_id: intent for job_id in job_ids(action)}})
    return replace(state, intents=intents, inflight=state.inflight + (action,),
                   pressed=state.pressed + (action,) if pressed else state.pressed)


def _copy_failed(state: PrintState, copy_id: str, reason: str) -> tuple[PrintState, list]:
    return (_count(state, "copy.failed.total"),
            [Emit("copy.failed", {"reason": reason or "failed", "copy_id": copy_id})])


# ----- transitions ------------------------------------------------------------------------

def press(state: PrintState, seconds: float, long_press: float,
          cfg: PrinterConfig) -> tuple[PrintState, list]:
    """PRINT pressed for `seconds`: release (short) or cancel (long), or refuse and say why."""
    if len(state.pressed) >= MAX_PRESS_ACTIONS:
        return _count(state, "print.refused.total"), [Verdict(False, "busy")]
    decision = decide_press(seconds, long_press, state.snapshot, cfg.block_on, claimed(state),
                            cfg.release, cfg.origin_window)
    if decision.action is None:
        return _count(state, "print.refused.total"), [Verdict(False, decision.refusal)]
    why = "release" if isinstance(decision.action, Release) else "cancel"
    state = _send(state, decision.action, Intent(why, "button"), pressed=True)
    return state, [decision.action, Verdict(True)]


def snapshot(state: PrintState, item: QueueSnapshot, now: Now,
             cfg: PrinterConfig) -> tuple[PrintState, list]:
    """A new look at the queue: the events it means, then timers on the fresh view."""
    restarts = to_restart(state.snapshot, item.snapshot, state.intents, cfg.block_on)
    taken_back = {restart.job_id for restart, _cause in restarts}
    # A job the printer ended in a fault is not over: no event until its restart is done.
    new = replace(item.snapshot, finished=tuple(j for j in item.snapshot.finished
                                                if j.id not in taken_back))
    actions: list = []
    for effect in changes(state.snapshot, new, state.intents, state.copies):
        if isinstance(effect, Count):
            state = _count(state, effect.name, effect.n)
        else:
            actions.append(effect)
    gone = {job.id for job in new.finished}

    def alive(table: Mapping) -> Mapping:
        return _table({k: v for k, v in table.items() if k not in gone})

    state = replace(state, snapshot=new, monitor=item.monitor, intents=alive(state.intents),
                    copies=alive(state.copies), restarted=alive(state.restarted),
                    kept=alive(state.kept))
    for restart, cause in restarts:
        state = _keep(state, restart, cause)
        actions.append(restart)
    state, more = tick(state, now, cfg)
    return state, actions + more


def _keep(state: PrintState, action: Hold | Restart, cause: str) -> PrintState:
    state = _send(state, action, Intent("kept"))
    return replace(state, kept=_table({**state.kept, action.job_id: cause}))


def done(state: PrintState, item: ActionDone, now: Now) -> tuple[PrintState, list]:
    """The worker carried out (or failed) an action."""
    action = item.action
    state = replace(state, inflight=_without(state.inflight, action),
                    pressed=_without(state.pressed, action))
    if isinstance(action, Submit):
        if not item.ok:
            return _copy_failed(state, action.copy_id, item.error)
        return replace(state, copies=_table({**state.copies, item.job_id: action.copy_id})), []
    if isinstance(action, (Hold, Restart)) and getattr(action, "hold", True):
        return _kept(state, action, item)
    if isinstance(action, Restart) and item.ok:
        return replace(state, restarted=_table({**state.restarted, action.job_id: now.mono})), []
    if isinstance(action, Enable) and item.ok:
        return _count(state, "print.reenabled.total"), [Emit("printer.reenabled", {})]
    if not item.ok:
        failed = set(job_ids(action))
        state = replace(state, intents=_table({k: v for k, v in state.intents.items()
                                               if k not in failed}))
    return state, []


def _kept(state: PrintState, action: Hold | Restart, item: ActionDone) -> tuple[PrintState, list]:
    """A hold or held restart after a printer fault is done: the job waits for its citizen
    (print.job_kept), or, when CUPS could not restart it, it failed after all."""
    job_id = action.job_id
    cause = state.kept.get(job_id, "")
    if item.ok:
        return _count(state, "print.kept.total"), [Emit("print.job_kept",
                                                        {"job": job_id, "cause": cause})]
    busy = {j for a in state.inflight for j in job_ids(a)}
    if job_id not in busy:
        state = replace(state, intents=_table({k: v for k, v in state.intents.items()
                                               if k != job_id}),
                        kept=_table({k: v for k, v in state.kept.items() if k != job_id}))
    if isinstance(action, Hold):
        return state, []  # it left the printer meanwhile: its snapshot tells how it ended
    state = _count(state, "print.failed.total")
    out: list = [Emit("print.job_failed", {"job": job_id, "reason": "aborted"})]
    copy_id = state.copies.get(job_id)
    state = replace(state, copies=_table({k: v for k, v in state.copies.items() if k != job_id}))
    if copy_id is not None:
        state, more = _copy_failed(state, copy_id, "aborted")
        out += more
    return state, out


def tick(state: PrintState, now: Now, cfg: PrinterConfig) -> tuple[PrintState, list]:
    """Timers: held jobs expire, stopped jobs are restarted then cancelled, a paused queue
    is re-enabled."""
    snap = state.snapshot
    if snap is None or snap.status.state in DOWN_STATES:
        return state, []
    actions: list = []
    cause = problem(snap.status, cfg.block_on)
    state = replace(state, fault_since=fault_since(snap, cfg.block_on, state.fault_since,
                                                   now.mono))
    for action in to_hold(snap, cfg.block_on, state.fault_since, now.mono, claimed(state)):
        state = _keep(state, action, cause)
        actions.append(action)
    for action in expired(snap, now.wall, cfg.hold_expiry, claimed(state)):
        state = _send(state, action, Intent("expired"))
        actions.append(action)
    grace = max(STUCK_GRACE, 2 * cfg.poll_interval)
    for action in stuck(snap, state.restarted, now.mono, grace, claimed(state)):
        state = _send(state, action, Intent("stuck") if isinstance(action, Cancel) else None)
        actions.append(action)
    if cfg.self_heal and not any(isinstance(a, Enable) for a in state.inflight) \
            and should_heal(snap.status, cfg.block_on, state.last_heal, now.mono,
                            cfg.heal_interval):
        state = _send(replace(state, last_heal=now.mono), Enable())
        actions.append(Enable())
    return state, actions


def copy(state: PrintState, path: str, copy_id: str,
         cfg: PrinterConfig) -> tuple[PrintState, list]:
    """A COPY scan to print unheld at once, or a copy.failed saying why not now."""
    copy_id = copy_id if _SAFE_ID.match(copy_id or "") else ""
    cause = problem(state.snapshot.status, cfg.block_on) if state.snapshot \
        else "printer_offline"
    if cause:
        # Not queued for later: a copy of an ID card must not print with nobody there.
        return _copy_failed(state, copy_id, cause)
    action = Submit(path, copy_id)
    return _send(state, action), [action]


def _command_target(state: PrintState, job_id: int, cfg: PrinterConfig,
                    ok_states: tuple[int, ...], blocked: bool) -> Job | Verdict:
    snap = state.snapshot
    cause = "printer_offline" if snap is None or snap.status.state in DOWN_STATES else \
        problem(snap.status, cfg.block_on) if blocked else ""
    if cause:
        return Verdict(False, {"error": "printer_problem", "cause": cause})
    job = next((j for j in snap.jobs if j.id == job_id), None)
    if job is None:  # another queue's job, a finished one, or none at all
        return Verdict(False, {"error": "no_such_job"})
    if job.state not in ok_states:
        return Verdict(False, {"error": "wrong_state", "state": JOB_WORDS.get(job.state, "other")})
    if job_id in claimed(state):
        return Verdict(False, {"error": "in_progress"})
    return job


def release_job(state: PrintState, job_id: int, cfg: PrinterConfig) -> tuple[PrintState, list]:
    """A technician releases one held job: the press rules, for that job only."""
    target = _command_target(state, job_id, cfg, (HELD,), blocked=True)
    if isinstance(target, Verdict):
        return state, [target]
    action = Release((job_id,))
    return _send(state, action, Intent("release", "command")), \
        [action, Verdict(True, {"job": job_id, "queued": True})]


def cancel_job(state: PrintState, job_id: int, cfg: PrinterConfig) -> tuple[PrintState, list]:
    """A technician cancels one held or pending job (never blocked by a printer fault)."""
    target = _command_target(state, job_id, cfg, (HELD, PENDING), blocked=False)
    if isinstance(target, Verdict):
        return state, [target]
    action = Cancel(job_id, "command")
    return _send(state, action, Intent("cancel", "command")), \
        [action, Verdict(True, {"job": job_id, "queued": True})]


# ----- outputs ----------------------------------------------------------------------------

def status(state: PrintState, now: Now) -> dict:
    """print_status: the printer and up to MAX_STATUS_JOBS jobs, oldest first; no titles,
    user names, host names or file names."""
    snap = state.snapshot
    if snap is None:
        return {"state": "unknown", "reasons": [], "jobs": []}
    jobs = [{"id": j.id, "state": JOB_WORDS[j.state], "pages": j.pages or None,
             "age_s": max(0, int(now.wall - j.created)) if j.created else 0,
             "origin": origin_kind(j, state.copies)}
            for j in snap.jobs if j.state in JOB_WORDS]
    return {"state": snap.status.state, "reasons": list(snap.status.reasons),
            "jobs": jobs[:MAX_STATUS_JOBS]}


def metrics(state: PrintState, now: Now) -> dict:
    out = queue_metrics(state.snapshot, now.wall)
    out.update(state.counters)
    out["print.monitor"] = state.monitor
    return out


def indicator(state: PrintState, cfg: PrinterConfig) -> Indicator:
    snap = state.snapshot
    if snap is None:
        return Indicator("ok")
    cause = problem(snap.status, cfg.block_on)
    if cause:
        return Indicator("attention", cause)
    printing = [j for j in snap.jobs if j.state == PROCESSING]
    if printing:  # the count its prompt says ("đang in 3 trang"): 0 until CUPS has counted
        return Indicator("busy", "printing", printing[0].pages)
    if any(j.held and j.id in state.kept for j in snap.jobs):
        return Indicator("prompt", "job_kept")  # the fault is cleared: press PRINT again
    if any(j.held for j in snap.jobs):
        return Indicator("prompt", "job_waiting")
    return Indicator("ok")
