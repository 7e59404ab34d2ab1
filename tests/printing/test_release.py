"""Print release through the real cupsd in front of ippeveprinter."""
import dataclasses
import logging
import time

import pytest

from edge.feature import ButtonPress, CopyRequest, Now
from edge.printing.rules import CANCELED, HELD
from edge.printing.feature import PrintFeature
from harness.procs import wait_for
from harness.printrig import (PERSONAL_TITLE, LoopAgent, job_state, set_paper,
                                submit_held)


@pytest.fixture
def agent(tmp_path):
    loop = LoopAgent(tmp_path)
    yield loop
    loop.stop()


def start(agent, cfg, **kw):
    feature = PrintFeature(cfg, agent.ctx, **kw)
    agent.start(feature)
    wait_for(lambda: feature.snapshot is not None and feature.snapshot.status.state == "idle",
             20, what="first idle snapshot")
    return feature


def test_a_submitted_job_arrives_held_and_is_announced(agent, print_cfg, cupsd, pdf):
    start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    assert agent.wait_event("print.job_held") == [{"job": job}]
    assert job_state(cupsd.server, job) == HELD


def test_a_print_press_releases_the_job_and_counts_the_printers_pages(
        agent, print_cfg, cupsd, pdf, fake_printer):
    fake_printer.set_pages(3)
    feature = start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    done = agent.wait_event("print.job_completed", 30)
    assert done == [{"job": job, "pages": 3}]
    assert agent.metric(feature, "print.pages.total") == 3
    assert agent.metric(feature, "print.jobs.total") == 1
    assert ("print.job_released", {"job": job, "by": "button"}) in agent.events
    assert agent.beeps == ["accept"]


def test_release_is_refused_while_the_printer_reports_media_empty(
        agent, print_cfg, cupsd, pdf, fake_printer):
    feature = start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    set_paper(fake_printer, 0)
    wait_for(lambda: "media-empty" in feature.snapshot.status.reasons, 20, what="paper out seen")
    agent.press()
    wait_for(lambda: agent.beeps, 10)
    assert agent.beeps == ["refuse"]
    assert agent.call(lambda: feature.indicator(None).cause) == "paper_out"
    assert job_state(cupsd.server, job) == HELD
    assert agent.metric(feature, "print.reasons") == ["media-empty"]


def test_release_works_again_once_paper_is_loaded(agent, print_cfg, cupsd, pdf, fake_printer):
    feature = start(agent, print_cfg)
    set_paper(fake_printer, 0)
    wait_for(lambda: "media-empty" in feature.snapshot.status.reasons, 20, what="paper out seen")
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    set_paper(fake_printer, 250)
    wait_for(lambda: not feature.snapshot.status.reasons, 20, what="paper back")
    agent.press()
    assert agent.wait_event("print.job_completed", 30)[0]["job"] == job
    states = [d["reasons"] for t, d in agent.events if t == "printer.state_changed"]
    assert ["media-empty"] in states and states[-1] == []


def test_a_long_press_cancels_the_oldest_held_job(agent, print_cfg, cupsd, pdf):
    start(agent, print_cfg, long_press=2.0)
    first = submit_held(cupsd.server, "house", pdf)
    second = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held", count=2)
    agent.items.put(ButtonPress("print", 2.5))
    assert agent.wait_event("print.job_cancelled") == [{"job": first, "by": "button"}]
    assert job_state(cupsd.server, first) == CANCELED
    assert job_state(cupsd.server, second) == HELD


def test_a_held_job_nobody_comes_for_expires_with_an_event(agent, print_cfg, cupsd, pdf):
    feature = start(agent, dataclasses.replace(print_cfg, hold_expiry=60))
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    # Two hours later by the wall clock: decisions take the time as an argument.
    agent.call(feature.tick, Now(time.time() + 7200, time.monotonic()))
    assert agent.wait_event("print.job_expired") == [{"job": job}]
    assert job_state(cupsd.server, job) == CANCELED
    assert agent.metric(feature, "print.expired.total") == 1


def test_a_hundred_presses_in_a_second_queue_at_most_one_further_action(
        agent, print_cfg, cupsd, pdf):
    feature = start(agent, print_cfg)
    jobs = [submit_held(cupsd.server, "house", pdf) for _ in range(4)]
    agent.wait_event("print.job_held", count=4)
    for _ in range(100):
        agent.press(0.005)
    wait_for(lambda: len(agent.beeps) == 100, 20, what="100 verdicts")
    accepted = agent.beeps.count("accept")
    wait_for(lambda: not agent.call(lambda: feature.inflight), 20, what="worker idle")
    released = {d["job"] for t, d in agent.events if t == "print.job_released"}
    assert feature.queue.peak_backlog <= 1
    assert 1 <= len(released) <= accepted <= len(jobs)
    assert released <= set(jobs)


def test_a_copy_request_prints_at_once_and_counts_copy_pages(
        agent, print_cfg, cupsd, pdf, fake_printer):
    fake_printer.set_pages(3)
    feature = start(agent, print_cfg)
    agent.items.put(CopyRequest(str(pdf), 3, "c42"))
    assert agent.wait_event("copy.completed", 30) == [{"pages": 3, "copy_id": "c42"}]
    assert agent.metric(feature, "copy.pages.total") == 3
    assert agent.metric(feature, "copy.jobs.total") == 1
    assert "print.job_held" not in agent.types()


def test_a_copy_is_not_queued_while_paper_is_out(agent, print_cfg, cupsd, pdf, fake_printer):
    feature = start(agent, print_cfg)
    set_paper(fake_printer, 0)
    wait_for(lambda: "media-empty" in feature.snapshot.status.reasons, 20, what="paper out seen")
    agent.items.put(CopyRequest(str(pdf), 3, "c43"))
    assert agent.wait_event("copy.failed") == [{"reason": "paper_out", "copy_id": "c43"}]
    assert agent.metric(feature, "print.queue.pending") == 0


def test_no_title_or_user_name_reaches_events_metrics_or_info_logs(
        agent, print_cfg, cupsd, pdf, caplog):
    caplog.set_level(logging.INFO)
    feature = start(agent, print_cfg)
    submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    agent.wait_event("print.job_completed", 30)
    metrics = agent.call(feature.metrics, Now(time.time(), time.monotonic()))
    text = repr(agent.events) + repr(metrics) + caplog.text
    for secret in (PERSONAL_TITLE, "Nguyen", "doc.pdf", "root"):
        assert secret not in text
