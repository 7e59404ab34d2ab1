"""The pure print decisions, with plain values."""

import pytest
from hypothesis import given, strategies as st

from edge.printing import core
from edge.printing.config import DEFAULT_BLOCK_ON
from edge.printing.core import (COMPLETED, HELD, PROCESSING, STOPPED, Cancel, Job,
                                PrinterStatus, Release, Restart, Snapshot)


def snap(*jobs, state="idle", reasons=(), reachable=True):
    return Snapshot(PrinterStatus(state, tuple(reasons), reachable), tuple(jobs))


@pytest.mark.parametrize("raw, base", [("media-empty-error", "media-empty"),
                                       ("media-empty-warning", "media-empty"),
                                       ("offline-report", "offline"), ("media-jam", "media-jam")])
def test_reason_suffixes_are_stripped_to_the_base_keyword(raw, base):
    assert core.base_reason(raw) == base


def test_none_and_cups_bookkeeping_reasons_are_dropped():
    assert core.parse_reasons(["none", "cups-waiting-for-job-completed", "toner-low-report"]) \
        == ("toner-low",)


def test_a_short_press_releases_the_oldest_held_job():
    d = core.decide_press(0.2, 2, snap(Job(7, HELD, 200), Job(5, HELD, 100)), DEFAULT_BLOCK_ON)
    assert d.action == Release((5,))


def test_a_job_already_being_released_is_not_released_again():
    d = core.decide_press(0.2, 2, snap(Job(5, HELD, 100), Job(7, HELD, 200)), DEFAULT_BLOCK_ON,
                          claimed={5})
    assert d.action == Release((7,))


@pytest.mark.parametrize("reason, cause", [("media-empty", "paper_out"), ("media-jam", "jam"),
                                           ("cover-open", "cover_open"),
                                           ("offline", "printer_offline")])
def test_release_is_refused_while_the_printer_has_a_problem(reason, cause):
    d = core.decide_press(0.2, 2, snap(Job(5, HELD, 1), reasons=[reason]), DEFAULT_BLOCK_ON)
    assert d.action is None and d.refusal == cause


def test_a_low_toner_warning_does_not_block_release():
    d = core.decide_press(0.2, 2, snap(Job(5, HELD, 1), reasons=["toner-low"]), DEFAULT_BLOCK_ON)
    assert d.action == Release((5,))


def test_release_is_refused_when_nothing_is_held():
    assert core.decide_press(0.2, 2, snap(), DEFAULT_BLOCK_ON).refusal == "no_job"


def test_a_long_press_cancels_the_printing_job_before_any_held_one():
    d = core.decide_press(2.5, 2, snap(Job(5, HELD, 1), Job(6, PROCESSING, 2)), DEFAULT_BLOCK_ON)
    assert d.action == Cancel(6, "button")


def test_origin_release_takes_recent_jobs_from_the_same_origin_only():
    jobs = [Job(1, HELD, 100, "pc"), Job(2, HELD, 150, "phone"), Job(3, HELD, 200, "pc"),
            Job(4, HELD, 5000, "pc")]
    d = core.decide_press(0.2, 2, snap(*jobs), DEFAULT_BLOCK_ON, release="origin",
                          origin_window=600)
    assert d.action == Release((1, 3))


def test_held_jobs_expire_after_the_hold_limit():
    s = snap(Job(1, HELD, 1000), Job(2, HELD, 5000))
    assert core.expired(s, now_wall=1000 + 7200, max_hold=7200) == [Cancel(1, "expired")]


def test_a_stopped_job_is_restarted_once_then_cancelled_after_the_grace():
    s = snap(Job(9, STOPPED, 1))
    assert core.stuck(s, {}, 100, 5) == [Restart(9)]
    assert core.stuck(s, {9: 98}, 100, 5) == []
    assert core.stuck(s, {9: 90}, 100, 5) == [Cancel(9, "stuck")]


def test_a_paused_queue_heals_only_when_the_printer_answers_without_a_fault():
    paused = PrinterStatus("stopped", ("paused",), True)
    assert core.should_heal(paused, DEFAULT_BLOCK_ON, None, 0, 30)
    assert not core.should_heal(PrinterStatus("stopped", ("paused",), False), DEFAULT_BLOCK_ON,
                                None, 0, 30)
    assert not core.should_heal(PrinterStatus("stopped", ("media-empty", "paused"), True),
                                DEFAULT_BLOCK_ON, None, 0, 30)
    assert not core.should_heal(paused, DEFAULT_BLOCK_ON, 10, 20, 30)


def test_a_completed_copy_job_counts_under_print_and_copy():
    prev = snap(Job(3, PROCESSING, 1))
    new = Snapshot(PrinterStatus("idle", (), True), (), (Job(3, COMPLETED, 1, pages=2),))
    out = core.changes(prev, new, {}, {3: "c1"})
    assert core.Emit("copy.completed", {"pages": 2, "copy_id": "c1"}) in out
    assert core.Count("print.pages.total", 2) in out and core.Count("copy.pages.total", 2) in out


def test_an_expired_job_is_reported_as_expired_not_cancelled():
    prev = snap(Job(3, HELD, 1))
    new = Snapshot(prev.status, (), (Job(3, core.CANCELED, 1),))
    types = [e.type for e in core.changes(prev, new, {3: "expired"}, {}) if isinstance(e, core.Emit)]
    assert types == ["print.job_expired"]


@given(st.lists(st.tuples(st.integers(1, 30), st.sampled_from([3, 4, 5, 6])), max_size=12),
       st.lists(st.integers(1, 30), max_size=30))
def test_presses_never_release_a_job_twice_or_one_that_is_not_held(jobs, presses):
    jobs = {jid: Job(jid, state, jid) for jid, state in jobs}
    s = snap(*jobs.values())
    claimed: set[int] = set()
    for _ in presses:
        d = core.decide_press(0.1, 2, s, DEFAULT_BLOCK_ON, claimed)
        if d.action is None:
            continue
        (jid,) = d.action.job_ids
        assert jid not in claimed and jobs[jid].held
        claimed.add(jid)
