"""The scan decisions as plain values: queue, sessions, faults, lights, metrics."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.feature import Now
from edge.scanning import core, faults
from edge.scanning.config import ScannerConfig
from edge.scanning.core import (Build, PdfBuilt, Release, ScanFinished, ScanState, StartScan,
                                press, scan_finished)

CFG = ScannerConfig(enabled=True)
ALL = frozenset(CFG.all_presets)
READY = ScanState(device="ready")


def at(t: float) -> Now:
    return Now(1_800_000_000 + t, t)


def kinds(actions) -> list[str]:
    return [a.type if isinstance(a, core.Emit) else type(a).__name__ for a in actions]


def scanned(state, t, pages=1, cfg=CFG):
    return scan_finished(state, ScanFinished(state.session.job.id, pages), at(t), cfg)


def test_press_when_idle_starts_a_scan_at_once():
    state, actions, ok = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    assert ok and kinds(actions) == ["StartScan", "scan.started"]
    assert state.session.phase == "scanning" and state.queue == ()


def test_press_while_scanning_queues_one_job_and_refuses_the_next():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, actions, ok = press(state, "copy", False, "j2", at(1), CFG, ALL)
    assert ok and actions == [] and [j.id for j in state.queue] == ["j2"]
    state, actions, ok = press(state, "copy", False, "j3", at(2), CFG, ALL)
    assert not ok and [j.id for j in state.queue] == ["j2"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["scan", "copy"]), st.booleans(),
                          st.sampled_from(["press", "page", "built", "tick", "fail"])),
                max_size=40),
       st.integers(min_value=0, max_value=3))
def test_queue_never_exceeds_its_limit(steps, limit):
    cfg = replace(CFG, queue_limit=limit)
    state, t = READY, 0.0
    for i, (button, long, what) in enumerate(steps):
        t += 1
        if what == "press":
            state, _, _ = press(state, button, long, f"j{i}", at(t), cfg, ALL)
        elif state.session is not None and what in ("page", "fail"):
            item = ScanFinished(state.session.job.id, 1, "" if what == "page" else "jam")
            state, _ = scan_finished(state, item, at(t), cfg)
        elif state.session is not None and what == "built":
            s = state.session
            state, _ = core.pdf_built(state, PdfBuilt(s.job.id, s.pages, 10), at(t), cfg)
        else:
            state, _ = core.tick(state, at(t + 100), cfg)
        assert len(state.queue) <= limit


def test_page_on_a_multi_page_preset_builds_the_pdf_and_waits_for_more():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, actions = scanned(state, 5)
    assert kinds(actions) == ["Build"] and actions[0].pages == 1
    assert state.session.phase == "next_page"
    assert core.indicator(state, at(6)).level == "prompt"


def test_press_within_the_window_scans_the_next_page_of_the_same_job():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _ = scanned(state, 5)
    state, actions, ok = press(state, "scan", False, "j9", at(8), CFG, ALL)
    assert ok and actions == [StartScan(state.session.job, 2)] and state.session.job.id == "j1"


def test_window_running_out_completes_the_job_once_its_pdf_is_built():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _ = scanned(state, 5)
    state, _ = core.pdf_built(state, PdfBuilt("j1", 1, 1234), at(6), CFG)
    state, actions = core.tick(state, at(5 + CFG.next_page_window), CFG)
    assert kinds(actions) == ["Release", "scan.completed"]
    assert actions[1].data == {"purpose": "scan", "preset": "default", "pages": 1,
                               "bytes": 1234, "seconds": 20.0}
    assert state.session is None and core.metrics(state, at(21))["scan.jobs.total"] == 1


def test_long_press_finishes_a_multi_page_scan_at_once():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _ = scanned(state, 5)
    state, _ = core.pdf_built(state, PdfBuilt("j1", 1, 99), at(6), CFG)
    state, actions, ok = press(state, "scan", True, "j2", at(7), CFG, ALL)
    assert ok and kinds(actions) == ["Release", "scan.completed"] and state.queue == ()


def test_long_press_during_a_page_finishes_after_that_page():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _, ok = press(state, "scan", True, "j2", at(1), CFG, ALL)
    state, actions = scanned(state, 5)
    assert ok and state.session.phase == "building" and kinds(actions) == ["Build"]
    state, actions = core.pdf_built(state, PdfBuilt("j1", 1, 99), at(6), CFG)
    assert kinds(actions) == ["Release", "scan.completed"]


def test_id_card_prompts_to_turn_the_card_then_builds_one_page():
    cfg = replace(CFG, scan_preset="id_card")
    state, _, _ = press(READY, "scan", False, "j1", at(0), cfg, ALL)
    state, actions = scanned(state, 3, cfg=cfg)
    assert actions == [] and core.indicator(state, at(4)).cause == "turn_card"
    state, actions, _ = press(state, "scan", False, "x", at(10), cfg, ALL)
    assert actions == [StartScan(state.session.job, 2)]
    state, actions = scanned(state, 13, cfg=cfg)
    assert actions == [Build(state.session.job, 2)] and state.session.phase == "building"


def test_unturned_id_card_is_dropped_without_a_red_light():
    cfg = replace(CFG, scan_preset="id_card")
    state, _, _ = press(READY, "scan", False, "j1", at(0), cfg, ALL)
    state, _ = scanned(state, 3, cfg=cfg)
    state, actions = core.tick(state, at(3 + cfg.id_card_window), cfg)
    assert kinds(actions) == ["scan.failed", "Release"] and actions[0].data["reason"] == "timeout"
    assert actions[1] == Release(actions[1].job, False)
    assert core.indicator(state, at(70)).level == "ok"


def test_fault_shows_its_cause_then_fades():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, actions = scan_finished(state, ScanFinished("j1", 0, "cover_open"), at(2), CFG)
    assert kinds(actions) == ["scan.failed", "Release"]
    assert core.indicator(state, at(3)).cause == "scanner_cover_open"
    assert core.metrics(state, at(3))["scan.state"] == "fault"
    state, _ = core.tick(state, at(2 + CFG.fault_display), CFG)
    assert core.indicator(state, at(2 + CFG.fault_display)).level == "ok"


def test_jam_drops_the_jobs_queued_behind_it():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _, _ = press(state, "scan", False, "j2", at(1), CFG, ALL)
    state, actions = scan_finished(state, ScanFinished("j1", 0, "jam"), at(2), CFG)
    assert [a.data["reason"] for a in actions if isinstance(a, core.Emit)] == ["jam", "aborted"]
    assert state.queue == () and state.session is None and state.failed_total == 2


def test_failed_second_page_keeps_the_first_and_lets_the_citizen_retry():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, _ = scanned(state, 5)
    state, _, _ = press(state, "scan", False, "x", at(6), CFG, ALL)
    state, actions = scan_finished(state, ScanFinished("j1", 0, "cover_open"), at(7), CFG)
    assert kinds(actions) == ["scan.failed"] and state.session.phase == "next_page"
    assert state.session.pages == 1


def test_press_is_refused_while_the_scanner_is_missing():
    state, _ = core.device_missing(READY, at(0), CFG)
    state, actions, ok = press(state, "scan", False, "j1", at(1), CFG, ALL)
    assert not ok and actions == [] and core.indicator(state, at(1)).cause == "scanner_missing"


def test_press_before_the_scanner_is_found_waits_in_the_queue():
    state, actions, ok = press(ScanState(), "scan", False, "j1", at(0), CFG, ALL)
    assert ok and actions == [] and len(state.queue) == 1
    state, actions = core.device_ready(state, at(1))
    assert kinds(actions) == ["StartScan", "scan.started"]


def test_press_for_a_preset_the_device_cannot_do_is_refused():
    state, actions, ok = press(READY, "scan", False, "j1", at(0), CFG, frozenset({"copy"}))
    assert not ok and actions == []


def test_cancel_stops_the_page_being_scanned():
    state, _, _ = press(READY, "scan", False, "j1", at(0), CFG, ALL)
    state, actions = core.cancel(state, at(1), CFG)
    assert kinds(actions) == ["Cancel"]
    state, actions = scan_finished(state, ScanFinished("j1", 0, "cancelled"), at(2), CFG)
    assert kinds(actions) == ["scan.failed", "Release"]
    assert core.indicator(state, at(2)).level == "ok"


def test_sane_error_texts_become_stable_reasons():
    assert faults.parse_fault("Document feeder jammed") == "jam"
    assert faults.parse_fault("Scanner cover is open") == "cover_open"
    assert faults.parse_fault("Document feeder out of documents") == "no_docs"
    assert faults.parse_fault("Device busy") == "busy"
    assert faults.parse_fault("Error during device I/O") == "io_error"
    assert faults.parse_fault("Operation was canceled") == "cancelled"
    assert faults.parse_fault("Something new") == "error"


def test_expired_lists_only_files_older_than_the_retention():
    files = [("a", 1000.0), ("b", 2000.0)]
    assert core.expired(files, 8200.0, 7200) == ["a"]
