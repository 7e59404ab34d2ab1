"""Remote job control (release_job, cancel_job, print_status, rescan) through the real
cupsd in front of ippeveprinter."""
import pytest

from edge.feature import CommandOutcome
from edge.printing.feature import PrintFeature
from edge.printing.rules import CANCELED, HELD
from harness.printrig import PERSONAL_TITLE, LoopAgent, job_state, now, set_paper, submit_held
from harness.procs import wait_for
from protocol.vocabulary import COMMANDS


@pytest.fixture
def agent(tmp_path):
    loop = LoopAgent(tmp_path)
    yield loop
    loop.stop()


@pytest.fixture
def feature(agent, print_cfg):
    f = PrintFeature(print_cfg, agent.ctx)
    agent.start(f)
    wait_for(lambda: f.snapshot is not None and f.snapshot.status.state == "idle", 20,
             what="first idle snapshot")
    return f


def command(agent, feature, name, **args) -> CommandOutcome:
    return agent.call(feature.on_command, name, args, now())


def held_job(agent, cupsd, pdf, count=1) -> int:
    job = submit_held(cupsd.server, "house", pdf)
    agent.wait_event("print.job_held", count=count)
    return job


def test_the_feature_answers_exactly_the_print_commands_of_the_vocabulary():
    assert PrintFeature.commands == {n for n, c in COMMANDS.items() if c.owner == "printing"}


def test_a_held_job_released_by_command_prints(agent, feature, cupsd, pdf, fake_printer):
    fake_printer.set_pages(3)
    job = held_job(agent, cupsd, pdf)
    outcome = command(agent, feature, "release_job", job=job)
    assert outcome == CommandOutcome(True, {"job": job, "queued": True})
    assert agent.wait_event("print.job_completed", 30) == [{"job": job, "pages": 3}]
    assert ("print.job_released", {"job": job, "by": "command"}) in agent.events


def test_a_held_job_cancelled_by_command_is_cancelled(agent, feature, cupsd, pdf):
    job = held_job(agent, cupsd, pdf)
    assert command(agent, feature, "cancel_job", job=job).ok
    assert agent.wait_event("print.job_cancelled") == [{"job": job, "by": "command"}]
    assert job_state(cupsd.server, job) == CANCELED


def test_a_job_of_another_queue_is_refused_as_no_such_job(agent, feature, cupsd, pdf):
    cupsd.add_null_queue("other", hold=True)
    foreign = submit_held(cupsd.server, "other", pdf)
    for name in ("release_job", "cancel_job"):
        assert command(agent, feature, name, job=foreign) == \
            CommandOutcome(False, {"error": "no_such_job"})
    assert job_state(cupsd.server, foreign) == HELD


def test_a_finished_job_is_refused_as_no_such_job(agent, feature, cupsd, pdf):
    job = held_job(agent, cupsd, pdf)
    command(agent, feature, "cancel_job", job=job)
    agent.wait_event("print.job_cancelled")
    assert command(agent, feature, "cancel_job", job=job).detail == {"error": "no_such_job"}


def test_a_remote_release_is_refused_while_paper_is_out(agent, feature, cupsd, pdf,
                                                        fake_printer):
    job = held_job(agent, cupsd, pdf)
    set_paper(fake_printer, 0)
    wait_for(lambda: "media-empty" in feature.snapshot.status.reasons, 20, what="paper out seen")
    assert command(agent, feature, "release_job", job=job) == \
        CommandOutcome(False, {"error": "printer_problem", "cause": "paper_out"})
    assert job_state(cupsd.server, job) == HELD


def test_print_status_lists_held_jobs_oldest_first_with_no_title(agent, feature, cupsd, pdf):
    first = held_job(agent, cupsd, pdf)
    second = held_job(agent, cupsd, pdf, count=2)
    outcome = command(agent, feature, "print_status")
    assert outcome.ok and outcome.detail["state"] == "idle" and outcome.detail["reasons"] == []
    jobs = outcome.detail["jobs"]
    assert [(j["id"], j["state"], j["origin"]) for j in jobs] == \
        [(first, "held", "local"), (second, "held", "local")]
    # CUPS counts a job's pages only once it is converted for printing.
    assert all(j["pages"] is None and 0 <= j["age_s"] < 60 for j in jobs)
    for secret in (PERSONAL_TITLE, "Nguyen", "doc.pdf", "root", "localhost"):
        assert secret not in repr(outcome.detail)


def test_print_status_shows_the_pages_of_a_job_being_printed(agent, feature, cupsd, pdf,
                                                             fake_printer):
    fake_printer.set_pages(3)
    fake_printer.set_page_seconds(1)
    job = held_job(agent, cupsd, pdf)
    command(agent, feature, "release_job", job=job)

    def printing():
        jobs = command(agent, feature, "print_status").detail["jobs"]
        return [j for j in jobs if j["state"] == "processing" and j["pages"]]
    (shown,) = wait_for(printing, 20, what="a processing job with its pages")
    assert shown["id"] == job and shown["pages"] == 3


def test_rescan_reports_the_queue_ready_then_missing_once_deleted(agent, feature, cupsd):
    assert agent.call(feature.rescan, now()) == {"printer": "ready"}
    cupsd.lpadmin("-x", "house")
    assert agent.call(feature.rescan, now()) == {"printer": "missing"}
    wait_for(lambda: feature.snapshot.status.state == "missing", 20, what="missing")
