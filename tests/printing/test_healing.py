"""Self-healing and bad input against the real cupsd: restarts, paused queues, stuck jobs,
unknown queue names."""
import dataclasses
import logging
import time

import pytest

from common.i18n import text
from edge.feature import Now
from edge.printing.rules import CANCELED
from edge.printing.feature import PrintFeature
from harness.procs import wait_for
from harness.printrig import LoopAgent, cups_conn, job_state, submit_held


@pytest.fixture
def agent(tmp_path):
    loop = LoopAgent(tmp_path)
    yield loop
    loop.stop()


def start(agent, cfg, state="idle"):
    feature = PrintFeature(cfg, agent.ctx)
    agent.start(feature)
    wait_for(lambda: feature.snapshot is not None and feature.snapshot.status.state == state,
             20, what=f"first {state} snapshot")
    return feature


def states(agent):
    return [d["state"] for t, d in agent.events if t == "printer.state_changed"]


def test_cupsd_restarting_mid_job_reads_unreachable_then_recovers(
        agent, print_cfg, cupsd, pdf, fake_printer):
    fake_printer.set_pages(4)
    fake_printer.set_page_seconds(0.5)
    feature = start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    wait_for(lambda: feature.snapshot.status.state == "processing", 20, what="printing")
    cupsd.stop()
    wait_for(lambda: feature.snapshot.status.state == "unreachable", 20, what="unreachable")
    assert agent.call(lambda: feature.indicator(None).cause) == "printer_offline"
    cupsd.start()
    wait_for(lambda: feature.snapshot.status.state in ("idle", "processing"), 30,
             what="back after restart")
    assert "unreachable" in states(agent)
    assert feature.queue._thread.is_alive()
    # Whether CUPS finishes the interrupted job or leaves it pending unscheduled (it did
    # both here), the agent reports how it ended and does not wait for it forever.
    def ended():
        return [(t, d) for t, d in agent.events if d.get("job") == job
                and t in ("print.job_completed", "print.job_failed")]
    (kind, data), = wait_for(ended, 60, what="the interrupted job's end")
    assert kind == "print.job_completed" or data["reason"] == "lost"
    again = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held", count=2)
    agent.press()
    wait_for(lambda: ("print.job_released", {"job": again, "by": "button"}) in agent.events,
             20, what="a new job released after the restart")


def test_a_queue_cups_paused_is_re_enabled(agent, print_cfg, cupsd):
    feature = start(agent, print_cfg)
    cups_conn(cupsd.server).disablePrinter("house", reason="backend failed")
    agent.wait_event("printer.reenabled", 20)
    wait_for(lambda: feature.snapshot.status.state == "idle", 20, what="idle again")
    attrs = cups_conn(cupsd.server).getPrinterAttributes(
        "house", requested_attributes=["printer-state"])
    assert attrs["printer-state"] == 3
    assert "stopped" in states(agent)


def test_a_paused_queue_stays_paused_while_the_printer_is_unreachable(
        agent, print_cfg, cupsd, fake_printer):
    feature = start(agent, print_cfg)
    fake_printer.stop()
    try:
        wait_for(lambda: "offline" in feature.snapshot.status.reasons, 20, what="offline seen")
        cups_conn(cupsd.server).disablePrinter("house", reason="backend failed")
        wait_for(lambda: feature.snapshot.status.state == "stopped", 20, what="stopped seen")
        agent.call(feature.tick, Now(time.time(), time.monotonic() + 3600))
        assert "printer.reenabled" not in agent.types()
    finally:
        fake_printer.start()


def test_a_job_stuck_in_stopped_is_restarted_once_then_cancelled(
        agent, print_cfg, cupsd, tmp_path):
    feature = start(agent, print_cfg)
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    job = cups_conn(cupsd.server).printFile("house", str(damaged), "x",
                                            {"document-format": "application/pdf"})
    agent.wait_event("print.job_held")
    agent.press()
    assert agent.wait_event("print.job_failed", 40) == [{"job": job, "reason": "stuck"}]
    assert job_state(cupsd.server, job) == CANCELED
    assert agent.metric(feature, "print.failed.total") == 1


def test_an_unknown_queue_name_is_a_clear_error_and_state_missing(
        agent, print_cfg, caplog):
    caplog.set_level(logging.INFO)
    cfg = dataclasses.replace(print_cfg, queue="nha-van-hoa")
    feature = start(agent, cfg, state="missing")
    assert "CUPS has no queue named 'nha-van-hoa' (known: house)" in caplog.text
    assert "Traceback" not in caplog.text
    assert agent.metric(feature, "print.state") == "missing"
    (line,) = feature.check()
    assert line.ok is False and "lpadmin" in text("en", line.fix)


def test_a_queue_deleted_later_reads_missing(agent, print_cfg, cupsd):
    feature = start(agent, print_cfg)
    cupsd.lpadmin("-x", "house")
    wait_for(lambda: feature.snapshot.status.state == "missing", 20, what="missing")
    assert states(agent)[-1] == "missing"
    agent.press()
    wait_for(lambda: agent.beeps, 10)
    assert agent.beeps == ["refuse"]
