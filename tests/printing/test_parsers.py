"""CUPS attributes into plain values, on answers captured from the real cupsd and
ippeveprinter (tests/printing/data, see its README)."""
import json
from pathlib import Path

import pytest

from edge.printing import parsers
from edge.printing.rules import ABORTED, CANCELED, COMPLETED, HELD, PROCESSING, STOPPED, Job

DATA = Path(__file__).resolve().parent / "data"


def answer(name: str):
    return json.loads((DATA / f"{name}.json").read_text())["answer"]


def jobs_answer(name: str) -> dict:
    """getJobs' answer with its integer keys back (JSON made them strings)."""
    return {int(jid): attrs for jid, attrs in answer(name).items()}


def status(name: str, probed: bool = True):
    pair = answer(name)
    return parsers.parse_status(pair["cups"], pair["device"], probed)


@pytest.mark.parametrize("raw, base", [("media-empty-error", "media-empty"),
                                       ("media-empty-warning", "media-empty"),
                                       ("offline-report", "offline"), ("media-jam", "media-jam")])
def test_reason_suffixes_are_stripped_to_the_base_keyword(raw, base):
    assert parsers.base_reason(raw) == base


def test_none_and_cups_bookkeeping_reasons_are_dropped():
    assert parsers.parse_reasons(["none", "cups-waiting-for-job-completed", "toner-low-report"]) \
        == ("toner-low",)


def test_a_lone_reason_given_as_a_string_is_one_keyword():
    assert parsers.parse_reasons("media-jam-error") == ("media-jam",)


def test_only_this_queues_jobs_are_taken_oldest_first():
    jobs = parsers.parse_queue_jobs(jobs_answer("jobs_held_two_queues"), "house")
    assert [(j.id, j.state) for j in jobs] == [(1, HELD), (2, HELD)]
    assert jobs[0].created < jobs[1].created


def test_a_queue_whose_name_ends_another_queues_name_gets_none_of_its_jobs():
    assert parsers.parse_queue_jobs(jobs_answer("jobs_held_two_queues"), "ther") == ()


def test_a_job_sent_on_the_pi_carries_localhost_as_its_origin():
    jobs = parsers.parse_queue_jobs(jobs_answer("jobs_held_two_queues"), "house")
    assert {j.origin for j in jobs} == {"localhost"}


def test_a_printing_job_reads_processing_with_its_reason():
    first = parsers.parse_queue_jobs(jobs_answer("jobs_one_processing"), "house")[0]
    assert (first.id, first.state, first.reason) == (1, PROCESSING, "job-printing")


def test_a_job_a_filter_failed_on_reads_stopped():
    (job,) = parsers.parse_queue_jobs(jobs_answer("jobs_one_stopped"), "house")
    assert job.state == STOPPED and job.reason == "job-completed-with-errors"


def test_a_completed_job_carries_the_printers_page_count():
    job = parsers.parse_finished(answer("job_completed"), 1)
    assert (job.state, job.pages) == (COMPLETED, 3)


def test_a_cancelled_job_reads_cancelled_though_its_reason_reads_like_completed():
    job = parsers.parse_finished(answer("job_cancelled"), 2)
    assert job.state == CANCELED and job.reason == "processing-to-stop-point"


def test_a_job_that_left_the_list_still_held_is_reported_lost():
    held = jobs_answer("jobs_held_two_queues")[2]
    assert parsers.parse_finished(held, 2) == Job(2, ABORTED, held["time-at-creation"],
                                                  "localhost", 0, "lost")


def test_a_job_cups_forgot_ended_as_cancelled_and_purged():
    assert parsers.purged(7) == Job(7, CANCELED, reason="purged")


def test_a_garbled_job_reason_is_dropped_not_passed_on():
    job = parsers.parse_job({"job-state": 8, "job-state-reasons": ["Nguyen Van An"]}, 5)
    assert job.reason == "" and job.id == 5


def test_an_idle_printer_that_answers_reads_idle_without_reasons():
    s = status("printer_idle")
    assert (s.state, s.reasons, s.reachable) == ("idle", (), True)


def test_paper_out_is_learnt_from_the_device_while_cups_still_says_none():
    assert status("printer_media_empty").reasons == ("media-empty",)
    assert status("printer_media_empty", probed=False).reasons == ()


def test_a_paused_queue_keeps_cups_paused_beside_the_devices_reasons():
    s = status("printer_paused")
    assert (s.state, s.reasons) == ("stopped", ("paused",))


def test_a_device_that_does_not_answer_adds_offline_to_an_idle_queue():
    s = status("printer_device_offline")
    assert (s.state, s.reasons, s.reachable) == ("idle", ("offline",), False)


def test_a_printing_queue_reads_processing():
    assert status("printer_processing").state == "processing"


def test_while_printing_cups_reasons_are_kept_beside_the_devices():
    assert parsers.merge_reasons("processing", ("media-jam",), True, ("toner-low",)) \
        == ("media-jam", "toner-low")


def test_outside_a_job_the_device_replaces_cups_stale_reasons():
    assert parsers.merge_reasons("idle", ("media-jam", "paused"), True, ()) == ("paused",)


def test_without_a_probe_cups_reasons_stand():
    assert parsers.merge_reasons("idle", ("media-jam",), None) == ("media-jam",)


def test_the_queue_check_finds_the_queue_and_its_state():
    found = parsers.parse_queue_check(answer("getprinters"), "house")
    assert (found.status, found.names, found.state, found.reasons) == \
        ("ok", ("house", "other"), "idle", ())


def test_the_queue_check_names_the_known_queues_when_ours_is_missing():
    found = parsers.parse_queue_check(answer("getprinters"), "nha-van-hoa")
    assert (found.status, found.names) == ("missing", ("house", "other"))


def test_no_title_or_user_name_attribute_is_ever_requested():
    for attrs in (parsers.JOB_ATTRS, parsers.PRINTER_ATTRS, parsers.DEVICE_ATTRS):
        assert not {"job-name", "job-originating-user-name"} & set(attrs)
