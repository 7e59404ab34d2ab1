"""A jam never eats a job, with plain values: a job in the printer when it jams, runs out
of paper or opens its door is held again (or restarted held) for its citizen's next press."""
from edge.feature import Indicator
from edge.printing import core
from edge.printing.core import ActionDone, PrintState
from edge.printing.keeping import KEEP_AFTER, Hold
from edge.printing.rules import (ABORTED, CANCELED, COMPLETED, PENDING, PROCESSING, Intent, Job,
                                 Release, Restart)

from .test_core import CFG, at, cups_actions, emits, held, look, press, queue


def printing(job_id: int, pages: int = 0) -> Job:
    return Job(job_id, PROCESSING, pages=pages)


def faulted(state: PrintState, *jobs: Job, reasons, printer="processing"):
    """The printer shows `reasons` now and still KEEP_AFTER seconds later."""
    state, first = look(state, *jobs, printer=printer, reasons=reasons, now=at(0))
    state, later = look(state, *jobs, printer=printer, reasons=reasons, now=at(KEEP_AFTER))
    return state, first + later


def released(job_id: int = 5) -> PrintState:
    """Job 5 released by the PRINT button and now printing."""
    state, _ = press(queue(held(job_id)))
    state, _ = core.done(state, ActionDone(Release((job_id,)), True), at())
    return look(state, printing(job_id), printer="processing")[0]


def test_a_job_printing_when_the_paper_runs_out_is_held_again():
    state, actions = faulted(released(), printing(5), reasons=("media-empty",))
    assert cups_actions(actions) == [Hold(5)]
    assert state.intents[5] == Intent("kept") and state.kept[5] == "paper_out"


def test_a_job_waiting_behind_a_jam_is_held_too():
    _, actions = faulted(released(), printing(5), Job(6, PENDING), reasons=("media-jam",))
    assert cups_actions(actions) == [Hold(5), Hold(6)]


def test_an_open_door_holds_the_job_like_a_jam():
    state, actions = faulted(released(), printing(5), reasons=("door-open",))
    assert cups_actions(actions) == [Hold(5)] and state.kept[5] == "cover_open"


def test_a_fault_that_does_not_stop_the_paper_holds_nothing():
    _, actions = faulted(released(), printing(5), reasons=("toner-empty",))
    assert cups_actions(actions) == []


def test_a_fault_shown_only_for_a_moment_holds_nothing():
    state, first = look(released(), printing(5), printer="processing",
                        reasons=("media-empty",), now=at(0))
    state, later = look(state, printing(5), printer="processing", now=at(1))
    _, after = core.tick(state, at(KEEP_AFTER + 1), CFG)
    assert cups_actions(first + later + after) == []


def test_a_job_is_held_once_while_the_hold_is_on_its_way():
    state, _ = faulted(released(), printing(5), reasons=("media-jam",))
    _, again = look(state, printing(5), printer="processing", reasons=("media-jam",),
                    now=at(KEEP_AFTER + 1))
    assert cups_actions(again) == []


def test_a_held_again_job_is_announced_as_kept_with_its_cause():
    state, _ = faulted(released(), printing(5), reasons=("media-jam",))
    state, actions = core.done(state, ActionDone(Hold(5), True), at())
    assert emits(actions) == [("print.job_kept", {"job": 5, "cause": "jam"})]
    assert state.counters["print.kept.total"] == 1


def test_once_the_fault_is_cleared_the_next_press_prints_the_kept_job():
    state, _ = faulted(released(), printing(5), reasons=("media-jam",))
    state, _ = core.done(state, ActionDone(Hold(5), True), at())
    state, actions = look(state, held(5), reasons=("media-jam",))
    assert "print.job_held" not in [t for t, _ in emits(actions)]
    assert press(state)[1][-1].detail == "jam"  # refused while the jam is there
    state, _ = look(state, held(5))
    assert core.indicator(state, CFG) == Indicator("prompt", "job_kept")
    state, actions = press(state)
    assert cups_actions(actions) == [Release((5,))]


def test_a_job_the_printer_ended_in_a_jam_is_restarted_held_without_a_failure_event():
    state, actions = look(released(), printer="idle", reasons=("media-jam",),
                          finished=(Job(5, CANCELED),))
    assert cups_actions(actions) == [Restart(5, hold=True)]
    assert [t for t, _ in emits(actions)] == ["printer.state_changed"]
    state, actions = core.done(state, ActionDone(Restart(5, hold=True), True), at())
    assert emits(actions) == [("print.job_kept", {"job": 5, "cause": "jam"})]
    state, actions = look(state, held(5), reasons=("media-jam",))
    assert "print.job_held" not in [t for t, _ in emits(actions)]


def test_a_job_ended_while_the_previous_look_showed_the_jam_is_kept_too():
    state, _ = look(released(), printing(5), printer="processing", reasons=("media-jam",))
    _, actions = look(state, finished=(Job(5, ABORTED),))
    assert Restart(5, hold=True) in cups_actions(actions)


def test_a_job_cups_cannot_restart_is_reported_failed():
    state, _ = look(released(), reasons=("media-jam",), finished=(Job(5, CANCELED),))
    state, actions = core.done(state, ActionDone(Restart(5, hold=True), False,
                                                 error="not_possible"), at())
    assert emits(actions) == [("print.job_failed", {"job": 5, "reason": "aborted"})]
    assert 5 not in state.kept and 5 not in state.intents


def test_a_job_cancelled_on_purpose_stays_cancelled_even_in_a_jam():
    state, _ = press(released(), seconds=3.0)  # long press: cancel the printing job
    _, actions = look(state, reasons=("media-jam",), finished=(Job(5, CANCELED),))
    assert cups_actions(actions) == []
    assert ("print.job_cancelled", {"job": 5, "by": "button"}) in emits(actions)


def test_a_job_that_ends_normally_is_never_restarted():
    _, actions = look(released(), finished=(Job(5, COMPLETED, pages=3),))
    assert cups_actions(actions) == []


def test_the_page_count_of_the_printing_job_reaches_the_panel():
    state, _ = look(released(), printing(5, pages=3), printer="processing")
    assert core.indicator(state, CFG) == Indicator("busy", "printing", 3)
