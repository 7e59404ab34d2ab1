"""A jam never eats a job, against the real cupsd and ippeveprinter: a released job the
printer stops on paper-out or a jam (even one the printer itself cancels) is held again,
and the citizen's PRINT press after the fault is cleared prints it."""
import subprocess

import pytest

from edge.printing.config import PrinterConfig
from edge.printing.feature import PrintFeature
from edge.printing.rules import COMPLETED, HELD
from harness.cups import CupsServer, FakeIppPrinter
from harness.procs import wait_for
from harness.printrig import LoopAgent, job_state, set_paper, submit_held, wait_queue_ready

# CUPS keeps a finished job's document this long, so a job the printer itself cancelled
# in a jam can be restarted held (docs/printing.md).
KEEP_FILES = "PreserveJobFiles 300"


@pytest.fixture
def printer():
    """A fake printer of this test's own: a jam stays on a printer until its next job
    clears it, and must not reach the other tests' shared one."""
    with FakeIppPrinter() as eve:
        yield eve


@pytest.fixture
def cupsd(fake_printer):
    with CupsServer(extra_conf=KEEP_FILES) as server:
        server.add_ipp_queue("house", fake_printer.uri, hold=True)
        server.lpadmin("-p", "house", "-o", "printer-error-policy=stop-printer")
        wait_queue_ready(server.server, "house")
        yield server


@pytest.fixture
def agent(tmp_path):
    loop = LoopAgent(tmp_path)
    yield loop
    loop.stop()


def start(agent, cfg):
    feature = PrintFeature(cfg, agent.ctx)
    agent.start(feature)
    wait_for(lambda: feature.snapshot is not None and feature.snapshot.status.state == "idle",
             20, what="first idle snapshot")
    return feature


def clear_jam(printer, pdf):
    """What staff do: open the printer, take the paper out, print a test page (the fake
    printer forgets a jam only when its next job says so)."""
    printer.set_reasons([], ["media-jam-error"])
    (printer.ctl / "exit_code").write_text("0")
    subprocess.run(["ipptool", "-q", "-f", str(pdf), printer.uri,
                    "/usr/share/cups/ipptool/print-job.test"], check=True, timeout=60,
                   capture_output=True)


def test_a_job_printing_when_the_paper_runs_out_is_kept_and_printed_by_the_next_press(
        agent, print_cfg, cupsd, pdf, fake_printer):
    fake_printer.set_pages(6)
    fake_printer.set_page_seconds(1)
    feature = start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    wait_for(lambda: any(j.id == job and j.state == 5 for j in feature.snapshot.jobs), 20,
             what="printing")
    set_paper(fake_printer, 0)
    assert agent.wait_event("print.job_kept", 20) == [{"job": job, "cause": "paper_out"}]
    wait_for(lambda: job_state(cupsd.server, job) == HELD, 20, what="held again in CUPS")
    fake_printer.set_page_seconds(0)
    set_paper(fake_printer, 250)
    wait_for(lambda: agent.call(lambda: feature.indicator(None).cause) == "job_kept", 20,
             what="the panel asking for PRINT again")
    agent.press()
    completed = agent.wait_event("print.job_completed", 40)
    assert completed[0]["job"] == job and job_state(cupsd.server, job) == COMPLETED
    assert "print.job_failed" not in agent.types() and "print.job_cancelled" not in agent.types()


def test_a_job_the_printer_cancels_in_a_jam_is_kept_and_printed_after_the_jam_is_cleared(
        agent, print_cfg, cupsd, pdf, fake_printer):
    fake_printer.set_pages(2)
    fake_printer.set_page_seconds(0.5)
    fake_printer.set_reasons(["media-jam-error"])
    (fake_printer.ctl / "exit_code").write_text("1")  # the printer aborts the job
    feature = start(agent, print_cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    assert agent.wait_event("print.job_kept", 30) == [{"job": job, "cause": "jam"}]
    wait_for(lambda: job_state(cupsd.server, job) == HELD, 20, what="held again in CUPS")
    clear_jam(fake_printer, pdf)
    wait_for(lambda: agent.call(lambda: feature.indicator(None).cause) == "job_kept", 30,
             what="the panel asking for PRINT again")
    agent.press()
    assert agent.wait_event("print.job_completed", 40)[0]["job"] == job
    assert agent.types().count("print.job_held") == 1
    assert "print.job_failed" not in agent.types()


@pytest.fixture
def cupsd_without_kept_files(fake_printer):
    with CupsServer() as server:  # PreserveJobFiles No: documents go when a job ends
        server.add_ipp_queue("house", fake_printer.uri, hold=True)
        wait_queue_ready(server.server, "house")
        yield server


def test_without_kept_documents_a_job_the_printer_cancels_at_once_is_reported_failed(
        agent, cupsd_without_kept_files, pdf, fake_printer):
    cupsd = cupsd_without_kept_files
    cfg = PrinterConfig(enabled=True, queue="house", server=cupsd.server, poll_interval=1.0,
                        notify_interval=0.1, heal_interval=1.0)
    fake_printer.set_reasons(["media-jam-error"])
    (fake_printer.ctl / "exit_code").write_text("1")
    start(agent, cfg)
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held")
    agent.press()
    assert agent.wait_event("print.job_failed", 30) == [{"job": job, "reason": "aborted"}]
    assert "print.job_kept" not in agent.types()
