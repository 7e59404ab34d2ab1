"""Scanning through real libsane (test backend): pages, PDFs, presets, faults, replug."""
from __future__ import annotations

import logging

import pytest
from pypdf import PdfReader


def pages_of(path) -> int:
    return len(PdfReader(str(path)).pages)


def test_every_builtin_preset_matches_the_test_backends_options(agent):
    assert agent.feature.problems == []
    assert set(agent.feature.plans) == {"default", "copy", "feeder", "id_card"}
    assert dict(agent.feature.plans["feeder"].settings)["source"] == "Automatic Document Feeder"


def test_flatbed_single_page_becomes_a_one_page_pdf(agent):
    assert agent.press("scan") is True
    agent.finish_session()
    done = agent.wait_event("scan.completed")
    [pdf] = agent.pdfs()
    assert pages_of(pdf) == 1
    assert done["pages"] == 1 and done["bytes"] == pdf.stat().st_size


def test_pdf_appears_before_the_next_page_window_ends(agent):
    agent.press("scan")
    agent.pump(lambda: agent.pdfs(), what="interim PDF")
    assert pages_of(agent.pdfs()[0]) == 1
    assert agent.of_type("scan.completed") == []


def test_second_press_within_the_window_adds_a_page_to_the_same_pdf(agent):
    agent.press("scan")
    agent.pump(lambda: agent.feature.state.session.phase == "next_page", what="first page")
    assert agent.press("scan") is True
    agent.pump(lambda: agent.feature.state.session.phase == "next_page"
               and agent.feature.state.session.built_pages == 2, what="second page")
    assert agent.press("scan", seconds=3) is True  # long press finishes
    done = agent.wait_event("scan.completed")
    [pdf] = agent.pdfs()
    assert done["pages"] == 2 and pages_of(pdf) == 2


def test_feeder_of_ten_pages_becomes_one_ten_page_pdf(agent_factory):
    agent = agent_factory({"scan_preset": "feeder"}).start()
    agent.wait_ready()
    agent.press("scan")
    done = agent.wait_event("scan.completed", timeout=60)
    [pdf] = agent.pdfs()
    assert done["pages"] == 10 and pages_of(pdf) == 10
    assert agent.feature.metrics(agent.now())["scan.pages.total"] == 10


def test_default_page_is_at_most_300_kb(agent_factory):
    # Grid: black lines on white, like a form; "Color pattern" is 1-pixel stripes, no document.
    agent = agent_factory({"presets": {"default": {"options": {"test-picture": "Grid"}}}})
    agent.start().wait_ready()
    agent.press("scan")
    agent.finish_session()
    done = agent.wait_event("scan.completed")
    assert 0 < done["bytes"] <= 300 * 1024
    page = PdfReader(str(agent.pdfs()[0])).pages[0]
    assert float(page.mediabox.width) == pytest.approx(200 / 25.4 * 72, rel=0.01)  # true size


def test_id_card_front_and_back_are_composed_on_one_a4_page(agent_factory):
    agent = agent_factory({"scan_preset": "id_card"}).start()
    agent.wait_ready()
    agent.press("scan")
    agent.pump(lambda: agent.feature.indicator(agent.now()).level == "prompt", what="turn prompt")
    assert agent.feature.indicator(agent.now()).cause == "turn_card"
    agent.press("scan")
    agent.wait_event("scan.completed")
    [pdf] = agent.pdfs()
    page = PdfReader(str(pdf)).pages[0]
    assert pages_of(pdf) == 1
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((595.3, 841.9), abs=1)


def test_lineart_preset_makes_one_bit_pages(agent_factory):
    preset = {"mode": "lineart", "more_pages": False, "options": {"test-picture": "Grid"}}
    agent = agent_factory({"presets": {"default": preset}}).start()
    agent.wait_ready()
    assert dict(agent.feature.plans["default"].settings)["depth"] == 1  # grey at 1 bit
    agent.press("scan")
    agent.wait_event("scan.completed")
    page = PdfReader(str(agent.pdfs()[0])).pages[0]
    [image] = [o.get_object() for o in page["/Resources"]["/XObject"].values()]
    assert image["/BitsPerComponent"] == 1


def test_frame_of_unknown_height_is_read_by_python_sane_with_a_safe_progress_callback(agent_factory):
    # A hand scanner does not know its height: the strip reader hands over to snap().
    preset = {"more_pages": False, "options": {"hand-scanner": "yes"}}
    agent = agent_factory({"presets": {"default": preset}}).start()
    agent.wait_ready()
    agent.press("scan")
    assert agent.wait_event("scan.completed")["pages"] == 1
    assert pages_of(agent.pdfs()[0]) == 1


FAULTS = [("SANE_STATUS_JAMMED", "jam", "jam"),
          ("SANE_STATUS_COVER_OPEN", "cover_open", "scanner_cover_open"),
          ("SANE_STATUS_NO_DOCS", "no_docs", "scanner_no_docs"),
          ("SANE_STATUS_DEVICE_BUSY", "busy", "scanner_busy"),
          ("SANE_STATUS_IO_ERROR", "io_error", "scanner_fault")]


@pytest.mark.parametrize("status, reason, cause", FAULTS, ids=[f[1] for f in FAULTS])
def test_fault_is_reported_with_its_light_and_the_next_scan_succeeds(agent, status, reason, cause):
    assert agent.feature.scanner.adjust("read-return-value", status)
    agent.press("scan")
    failed = agent.wait_event("scan.failed")
    assert failed["reason"] == reason
    assert agent.feature.indicator(agent.now()).cause == cause
    assert agent.pdfs() == []
    agent.wait_ready()
    agent.feature.scanner.adjust("read-return-value", "Default")  # the citizen clears it
    assert agent.press("scan") is True
    agent.finish_session()
    agent.wait_event("scan.completed")
    assert len(agent.pdfs()) == 1
    assert agent.feature.indicator(agent.now()).level == "ok"


def test_fifty_presses_during_a_slow_scan_queue_only_one_job(agent_factory):
    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    agent = agent_factory({"presets": {"default": {"options": slow, "more_pages": False,
                                                   "width_mm": 100, "height_mm": 100}}})
    agent.start().wait_ready()
    results = [agent.press("scan") for _ in range(51)]
    assert results[:2] == [True, True] and not any(results[2:])
    assert agent.feature.metrics(agent.now())["scan.queue"] == 1
    agent.wait_event("scan.completed", count=2, timeout=90)
    assert len(agent.pdfs()) == 2


def test_cancelled_scan_is_reported_cancelled_and_leaves_no_pdf(agent_factory):
    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    agent = agent_factory({"presets": {"default": {"options": slow}}}).start()
    agent.wait_ready()
    agent.press("scan")
    agent.pump(lambda: agent.feature.scanner._current, what="scan under way")
    agent.feature.on_command("scan_cancel", {}, agent.now())
    failed = agent.wait_event("scan.failed")
    assert failed["reason"] == "cancelled"
    agent.pump_once()
    assert agent.pdfs() == [] and agent.of_type("scan.completed") == []
    assert agent.feature.indicator(agent.now()).level == "ok"


def test_cancel_during_a_python_sane_read_is_reported_cancelled(agent_factory):
    slow = {"hand-scanner": "yes", "read-delay": "yes", "read-delay-duration": "200000"}
    agent = agent_factory({"presets": {"default": {"options": slow}}}).start()
    agent.wait_ready()
    agent.press("scan")
    agent.pump(lambda: agent.feature.scanner._current, what="scan under way")
    agent.feature.on_command("scan_cancel", {}, agent.now())
    assert agent.wait_event("scan.failed")["reason"] == "cancelled"
    assert agent.pdfs() == []


def test_preset_the_device_cannot_do_is_a_startup_error_not_a_crash(agent_factory, caplog):
    caplog.set_level(logging.ERROR, "edge.scanning")
    agent = agent_factory({"presets": {"bw": {"options": {"swdeskew": "yes"}}}}).start()
    agent.wait_ready()
    assert "preset bw: options.swdeskew: the device has no settable option" in caplog.text
    assert any(line.key == "scanner.preset.bw" and line.ok is False
               for line in agent.feature.check())
    assert agent.press("scan") is True  # the other presets still work


def test_missing_scanner_is_found_again_after_replug(agent_factory, sane_devices):
    sane_devices(1)
    agent = agent_factory({"device": {"name": "test:1"}, "rescan_interval": "1s"}).start()
    agent.pump(lambda: agent.feature.state.device == "missing", what="missing")
    assert agent.feature.indicator(agent.now()).cause == "scanner_missing"
    assert agent.press("scan") is False
    sane_devices(2)  # plugged back in
    agent.pump(lambda: agent.feature.state.device == "ready", what="found again")
    assert agent.press("scan") is True
    agent.finish_session()
    agent.wait_event("scan.completed")


def test_a_rescan_finds_a_replugged_scanner_without_waiting_for_the_interval(
        agent_factory, sane_devices):
    sane_devices(1)
    agent = agent_factory({"device": {"name": "test:1"}, "rescan_interval": "10m"}).start()
    agent.pump(lambda: agent.feature.state.device == "missing", what="missing")
    sane_devices(2)  # plugged back in; the next timed probe is ten minutes away
    assert agent.feature.rescan(agent.now()) == "searching"
    agent.pump(lambda: agent.feature.state.device == "ready", timeout=20, what="found again")


def test_unplugged_during_a_scan_fails_the_job_and_waits_for_the_scanner(agent_factory, sane_devices):
    agent = agent_factory({"device": {"name": "test:1"}, "rescan_interval": "1s"}).start()
    agent.wait_ready()
    sane_devices(1)
    agent.feature.scanner.adjust("read-return-value", "SANE_STATUS_IO_ERROR")
    agent.press("scan")
    assert agent.wait_event("scan.failed")["reason"] == "io_error"
    agent.pump(lambda: agent.feature.state.device == "missing", what="missing")
    sane_devices(2)
    agent.pump(lambda: agent.feature.state.device == "ready", what="found again")
    agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed")


def test_waiting_job_survives_a_restart_of_the_agent(agent_factory, tmp_path):
    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    first = agent_factory({"presets": {"default": {"options": slow, "more_pages": False,
                                                   "width_mm": 100, "height_mm": 100}}}).start()
    first.wait_ready()
    first.press("scan")
    first.press("scan")
    assert first.feature.metrics(first.now())["scan.queue"] == 1
    first.stop()
    second = agent_factory({"presets": {"default": {"more_pages": False}}}).start()
    assert second.feature.metrics(second.now())["scan.queue"] == 1
    assert second.of_type("scan.failed") == [{"purpose": "scan", "preset": "default",
                                             "reason": "interrupted", "page": 1}]
    second.wait_event("scan.completed")
    assert len(second.pdfs()) == 1


def test_no_file_name_reaches_events_metrics_or_info_logs(agent, caplog):
    caplog.set_level(logging.INFO)
    agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed")
    name = agent.pdfs()[0].name
    text = repr(agent.events) + repr(agent.feature.metrics(agent.now()))
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert name not in text and name[:-4] not in text
    assert name[:-4] not in info and "scan-" not in info.replace("scan-page", "")


def test_a_scan_running_past_the_stuck_limit_makes_the_feature_unhealthy(agent_factory):
    from edge.scanning.feature import STUCK_AFTER
    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    agent = agent_factory({"presets": {"default": {"options": slow, "more_pages": False,
                                                   "width_mm": 100, "height_mm": 100}}})
    agent.start().wait_ready()
    assert agent.press("scan")
    assert agent.feature.healthy(agent.now())
    agent.advance(STUCK_AFTER + 1)  # the page is still being read: the worker looks hung
    assert not agent.feature.healthy(agent.now())
    agent.wait_event("scan.completed", timeout=60)
    assert agent.feature.healthy(agent.now())
