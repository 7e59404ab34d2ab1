"""The print decisions with plain values: every rule answers "why did we act on job N?"
through the frozen PrintState and the actions a transition returns."""
import dataclasses

import pytest
from hypothesis import given, strategies as st

from edge.feature import Emit, Now
from edge.printing import core
from edge.printing.config import PrinterConfig
from edge.printing.core import ActionDone, PrintState, QueueSnapshot, Verdict
from edge.printing.rules import (CANCELED, COMPLETED, HELD, PENDING, PROCESSING, STOPPED, Cancel,
                                 Enable, Intent, Job, PrinterStatus, Release, Restart, Snapshot,
                                 Submit)

CFG = PrinterConfig(enabled=True)
T0 = 1_800_000_000.0


def at(mono: float = 0.0, wall: float | None = None) -> Now:
    return Now(T0 + mono if wall is None else wall, mono)


def look(state: PrintState, *jobs: Job, printer: str = "idle", reasons=(), reachable=True,
         finished=(), now: Now | None = None, cfg=CFG):
    snap = Snapshot(PrinterStatus(printer, tuple(reasons), reachable), tuple(jobs), tuple(finished))
    return core.snapshot(state, QueueSnapshot(snap, "subscription"), now or at(), cfg)


def queue(*jobs: Job, **kw) -> PrintState:
    return look(PrintState(), *jobs, **kw)[0]


def held(job_id: int, created: float = T0, origin: str = "localhost") -> Job:
    return Job(job_id, HELD, created, origin)


def press(state, seconds=0.2, cfg=CFG):
    return core.press(state, seconds, 2.0, cfg)


def cups_actions(actions):
    return [a for a in actions if not isinstance(a, (Emit, Verdict))]


def emits(actions):
    return [(a.type, dict(a.data)) for a in actions if isinstance(a, Emit)]


# ----- the PRINT button ---------------------------------------------------------------------

def test_a_short_press_releases_the_oldest_held_job_and_says_why():
    state, actions = press(queue(held(7, T0 + 200), held(5, T0 + 100)))
    assert actions == [Release((5,)), Verdict(True)]
    assert state.intents[5] == Intent("release", "button")


def test_two_quick_presses_release_two_different_jobs():
    state, first = press(queue(held(5, T0 + 100), held(7, T0 + 200)))
    state, second = press(state)
    assert cups_actions(first + second) == [Release((5,)), Release((7,))]


def test_origin_release_takes_recent_jobs_from_the_same_origin_only():
    cfg = dataclasses.replace(CFG, release="origin", origin_window=600)
    state = queue(held(1, T0 + 100, "pc"), held(2, T0 + 150, "phone"), held(3, T0 + 200, "pc"),
                  held(4, T0 + 5000, "pc"), cfg=cfg)
    _, actions = press(state, cfg=cfg)
    assert cups_actions(actions) == [Release((1, 3))]


def test_a_long_press_cancels_the_printing_job_before_any_held_one():
    state, actions = press(queue(held(5), Job(6, PROCESSING, T0 + 1)), seconds=2.5)
    assert actions == [Cancel(6, "button"), Verdict(True)]
    assert state.intents[6] == Intent("cancel", "button")


def test_a_long_press_with_nothing_printing_cancels_the_oldest_held_job():
    _, actions = press(queue(held(8, T0 + 9), held(5, T0 + 1)), seconds=2.5)
    assert cups_actions(actions) == [Cancel(5, "button")]


@pytest.mark.parametrize("reason, cause", [("media-empty", "paper_out"), ("media-jam", "jam"),
                                           ("cover-open", "cover_open"),
                                           ("offline", "printer_offline")])
def test_release_is_refused_while_the_printer_has_a_problem(reason, cause):
    state, actions = press(queue(held(5), reasons=[reason]))
    assert actions == [Verdict(False, cause)]
    assert 5 not in state.intents and state.counters["print.refused.total"] == 1


def test_a_low_toner_warning_does_not_block_release():
    _, actions = press(queue(held(5), reasons=["toner-low"]))
    assert cups_actions(actions) == [Release((5,))]


@pytest.mark.parametrize("state, why", [
    (PrintState(), "printer_offline"),  # no look at the queue yet
    (queue(held(5), printer="unreachable"), "printer_offline"),
    (queue(), "no_job"),
    (queue(Job(5, PENDING, T0)), "no_job"),
])
def test_a_press_with_nothing_to_release_is_refused_with_the_reason(state, why):
    assert press(state)[1] == [Verdict(False, why)]


def test_a_third_press_while_two_are_in_flight_is_refused_as_busy():
    state = queue(held(1, T0 + 1), held(2, T0 + 2), held(3, T0 + 3))
    state, _ = press(state)
    state, _ = press(state)
    assert press(state)[1] == [Verdict(False, "busy")]
    state, _ = core.done(state, ActionDone(Release((1,)), True), at(1))
    # Job 1 still reads held until the next look: released, it is not released again.
    assert cups_actions(press(state)[1]) == [Release((3,))]


def test_a_released_job_that_is_printing_can_still_be_cancelled_by_a_long_press():
    state, _ = press(queue(held(5)))
    state, _ = core.done(state, ActionDone(Release((5,)), True), at(1))
    state, _ = look(state, Job(5, PROCESSING, T0))
    assert cups_actions(press(state, seconds=2.5)[1]) == [Cancel(5, "button")]


def test_a_release_cups_refused_is_forgotten_so_the_job_can_be_pressed_again():
    state, _ = press(queue(held(5)))
    state, _ = core.done(state, ActionDone(Release((5,)), False, error="not_possible"), at(1))
    assert 5 not in state.intents and state.inflight == ()


def test_a_released_job_is_announced_with_who_released_it():
    state, _ = press(queue(held(5)))
    state, actions = look(state, Job(5, PENDING, T0))
    assert ("print.job_released", {"job": 5, "by": "button"}) in emits(actions)
    assert state.counters["print.released.total"] == 1


def test_a_job_released_by_someone_else_is_announced_as_other():
    _, actions = look(queue(held(5)), Job(5, PENDING, T0))
    assert ("print.job_released", {"job": 5, "by": "other"}) in emits(actions)


# ----- timers -------------------------------------------------------------------------------

def test_a_held_job_expires_once_after_the_hold_limit():
    state = queue(held(1, T0), held(2, T0 + 5000))
    state, actions = core.tick(state, at(wall=T0 + CFG.hold_expiry), CFG)
    assert actions == [Cancel(1, "expired")] and state.intents[1] == Intent("expired")
    assert core.tick(state, at(1, wall=T0 + CFG.hold_expiry + 1), CFG)[1] == []


def test_an_expired_job_is_reported_as_expired_not_cancelled():
    state, _ = core.tick(queue(held(3, T0)), at(wall=T0 + CFG.hold_expiry), CFG)
    state, actions = look(state, finished=[Job(3, CANCELED, T0)])
    assert emits(actions) == [("print.job_expired", {"job": 3})]
    assert state.counters["print.expired.total"] == 1 and 3 not in state.intents


def test_nothing_expires_while_cups_is_unreachable():
    state = queue(held(1, T0), printer="unreachable")
    assert core.tick(state, at(wall=T0 + 10 * CFG.hold_expiry), CFG)[1] == []


def test_a_stopped_job_is_restarted_once_then_cancelled_after_the_grace():
    state, actions = look(PrintState(), Job(9, STOPPED, T0), now=at(90))
    assert cups_actions(actions) == [Restart(9)]
    state, _ = core.done(state, ActionDone(Restart(9), True), at(100))
    assert state.restarted[9] == 100
    assert core.tick(state, at(102), CFG)[1] == []
    state, actions = core.tick(state, at(130), CFG)  # well past the grace
    assert actions == [Cancel(9, "stuck")] and state.intents[9] == Intent("stuck")
    state, actions = look(state, finished=[Job(9, CANCELED, T0)])
    assert emits(actions) == [("print.job_failed", {"job": 9, "reason": "stuck"})]


def test_a_paused_queue_is_re_enabled_once_when_the_printer_answers_without_a_fault():
    state, actions = look(PrintState(), printer="stopped", reasons=["paused"], now=at(10))
    assert cups_actions(actions) == [Enable()]
    assert core.tick(state, at(11), CFG)[1] == []  # one at a time
    state, actions = core.done(state, ActionDone(Enable(), True), at(11))
    assert actions == [Emit("printer.reenabled", {})]
    assert state.counters["print.reenabled.total"] == 1
    assert core.tick(state, at(12), CFG)[1] == []  # not before heal_interval
    assert core.tick(state, at(10 + CFG.heal_interval), CFG)[1] == [Enable()]


@pytest.mark.parametrize("kw", [dict(reasons=["paused"], reachable=False),
                                dict(reasons=["media-empty", "paused"]),
                                dict(reasons=["paused"], cfg=dataclasses.replace(CFG, self_heal=False))])
def test_a_paused_queue_stays_paused_while_the_printer_cannot_print(kw):
    assert cups_actions(look(PrintState(), printer="stopped", **kw)[1]) == []


# ----- COPY ---------------------------------------------------------------------------------

def test_a_copy_prints_unheld_and_counts_under_print_and_copy():
    state, actions = core.copy(queue(), "/scans/c.pdf", "c1", CFG)
    assert actions == [Submit("/scans/c.pdf", "c1")]
    state, _ = core.done(state, ActionDone(Submit("/scans/c.pdf", "c1"), True, job_id=12), at(1))
    assert state.copies[12] == "c1"
    assert core.status(look(state, Job(12, PROCESSING, T0))[0], at())["jobs"][0]["origin"] == "copy"
    state, actions = look(state, finished=[Job(12, COMPLETED, T0, pages=2)])
    assert ("copy.completed", {"pages": 2, "copy_id": "c1"}) in emits(actions)
    assert state.counters["print.pages.total"] == 2 and state.counters["copy.pages.total"] == 2


def test_a_copy_is_not_queued_while_paper_is_out():
    state, actions = core.copy(queue(reasons=["media-empty"]), "/scans/c.pdf", "c2", CFG)
    assert actions == [Emit("copy.failed", {"reason": "paper_out", "copy_id": "c2"})]
    assert state.inflight == () and state.counters["copy.failed.total"] == 1


def test_a_copy_id_that_could_carry_a_name_is_not_passed_on():
    _, actions = core.copy(queue(), "/scans/c.pdf", "Nguyen Van An", CFG)
    assert actions == [Submit("/scans/c.pdf", "")]


def test_a_copy_cups_did_not_take_is_reported_failed():
    state, _ = core.copy(queue(), "/gone.pdf", "c3", CFG)
    _, actions = core.done(state, ActionDone(Submit("/gone.pdf", "c3"), False,
                                             error="file_missing"), at(1))
    assert actions == [Emit("copy.failed", {"reason": "file_missing", "copy_id": "c3"})]


# ----- remote job control -------------------------------------------------------------------

def test_a_command_releases_one_held_job_and_the_release_says_command():
    state, actions = core.release_job(queue(held(5, T0), held(12, T0 + 1)), 12, CFG)
    assert actions == [Release((12,)), Verdict(True, {"job": 12, "queued": True})]
    assert state.intents[12] == Intent("release", "command")
    _, actions = look(state, held(5, T0), Job(12, PENDING, T0 + 1))
    assert ("print.job_released", {"job": 12, "by": "command"}) in emits(actions)


def test_a_command_cancels_a_pending_job_and_the_cancel_says_command():
    state, actions = core.cancel_job(queue(Job(12, PENDING, T0)), 12, CFG)
    assert actions == [Cancel(12, "command"), Verdict(True, {"job": 12, "queued": True})]
    _, actions = look(state, finished=[Job(12, CANCELED, T0)])
    assert emits(actions) == [("print.job_cancelled", {"job": 12, "by": "command"})]


@pytest.mark.parametrize("step", [core.release_job, core.cancel_job])
def test_a_job_not_on_this_queue_is_no_such_job(step):
    state = queue(held(5))
    state2, actions = step(state, 99, CFG)
    assert actions == [Verdict(False, {"error": "no_such_job"})] and state2 == state


def test_a_finished_job_is_no_such_job():
    state, _ = look(queue(held(5)), finished=[Job(5, COMPLETED, T0)])
    assert core.cancel_job(state, 5, CFG)[1] == [Verdict(False, {"error": "no_such_job"})]


def test_only_a_held_job_can_be_released_and_only_held_or_pending_cancelled():
    state = queue(Job(5, PENDING, T0), Job(6, PROCESSING, T0))
    assert core.release_job(state, 5, CFG)[1] == \
        [Verdict(False, {"error": "wrong_state", "state": "pending"})]
    assert core.cancel_job(state, 6, CFG)[1] == \
        [Verdict(False, {"error": "wrong_state", "state": "processing"})]


def test_a_remote_release_is_refused_while_paper_is_out_but_a_cancel_is_not():
    state = queue(held(5), reasons=["media-empty"])
    assert core.release_job(state, 5, CFG)[1] == \
        [Verdict(False, {"error": "printer_problem", "cause": "paper_out"})]
    assert cups_actions(core.cancel_job(state, 5, CFG)[1]) == [Cancel(5, "command")]


def test_a_job_already_being_acted_on_is_refused_as_in_progress():
    state, _ = core.cancel_job(queue(held(5)), 5, CFG)
    assert core.release_job(state, 5, CFG)[1] == [Verdict(False, {"error": "in_progress"})]
    state, _ = press(queue(held(7)))
    assert core.release_job(state, 7, CFG)[1] == [Verdict(False, {"error": "in_progress"})]


# ----- what print_status shows ----------------------------------------------------------------

def test_print_status_lists_jobs_oldest_first_with_origin_kind_and_no_host_name():
    state = queue(held(3, T0 - 30, "192.168.1.23"), Job(4, PROCESSING, T0 - 10, "localhost",
                                                        pages=2), reasons=["toner-low"])
    shown = core.status(state, at())
    assert shown == {"state": "idle", "reasons": ["toner-low"], "jobs": [
        {"id": 3, "state": "held", "pages": None, "age_s": 30, "origin": "lan"},
        {"id": 4, "state": "processing", "pages": 2, "age_s": 10, "origin": "local"}]}
    assert "192.168" not in repr(shown)


def test_print_status_shows_at_most_fifty_jobs_the_oldest():
    state = queue(*(held(i, T0 + i) for i in range(1, 80)))
    jobs = core.status(state, at())["jobs"]
    assert len(jobs) == 50 and [j["id"] for j in jobs] == list(range(1, 51))


def test_print_status_before_the_first_look_says_unknown():
    assert core.status(PrintState(), at()) == {"state": "unknown", "reasons": [], "jobs": []}


@given(st.lists(st.tuples(st.integers(1, 30), st.sampled_from([3, 4, 5, 6])), max_size=12),
       st.lists(st.one_of(st.none(), st.integers(1, 30)), max_size=30))
def test_presses_and_commands_never_act_twice_on_a_job_or_release_one_not_held(jobs, steps):
    """A step is a press (None) or a release_job command for a job id."""
    jobs = {jid: Job(jid, state, T0 + jid) for jid, state in jobs}
    state = queue(*jobs.values())
    released: set[int] = set()
    for step in steps:
        if step is None:
            state, actions = press(dataclasses.replace(state, pressed=()))  # no press limit
        else:
            state, actions = core.release_job(state, step, CFG)
        for action in cups_actions(actions):
            (jid,) = action.job_ids
            assert jid not in released and jobs[jid].held
            released.add(jid)

