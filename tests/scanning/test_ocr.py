"""Searchable scans: the real ocrmypdf with Tesseract's Vietnamese data on a rendered
Vietnamese page (tests/data/ocr/vietnamese_page.txt), pdftotext reading the result."""
from __future__ import annotations

import json
import time

import pytest

from common.settings import ConfigError, load_table
from edge.config import EdgeConfig
from edge.scanning.config import OcrConfig
from edge.scanning.ocr import (OcrWorker, adopt, ocr_command, order_for, remove_leftovers,
                               temp_path)
from harness.ocrpage import page_text, pdf_text, render_page, word_accuracy, words

pytestmark = pytest.mark.integration  # runs ocrmypdf and Tesseract


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The rendered Vietnamese page as a scan PDF (rendered once, copied per test)."""
    return render_page(tmp_path_factory.mktemp("ocr") / "page.pdf")


@pytest.fixture
def scan(page, tmp_path):
    path = tmp_path / "scan-20261129-101500.pdf"
    path.write_bytes(page.read_bytes())
    return path


def test_ocr_makes_the_vietnamese_scan_searchable_in_place(scan):
    assert words(pdf_text(scan)) == []  # an image-only scan: nothing to search
    done = OcrWorker(OcrConfig(), print).run_one(order_for(scan, "default", 1))
    assert done.ok, done
    assert adopt(done) == ""
    text = pdf_text(scan)
    for word in ("THÔNG BÁO", "Ủy ban nhân dân", "căn cước công dân", "định danh điện tử"):
        assert word.lower() in " ".join(words(text)), word
    assert word_accuracy(page_text(), text) >= 0.95
    assert list(scan.parent.iterdir()) == [scan]  # no temporary file left


def test_a_failed_ocr_keeps_the_original_untouched(tmp_path):
    broken = tmp_path / "scan-20261129-101600.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    done = OcrWorker(OcrConfig(), print).run_one(order_for(broken, "default", 1))
    assert (done.ok, done.reason) == (False, "failed")
    assert adopt(done) == "failed"
    assert broken.read_bytes() == b"%PDF-1.4\nnot really a pdf\n"
    assert list(tmp_path.iterdir()) == [broken]


def test_an_ocr_past_its_timeout_is_stopped_and_keeps_the_original(scan):
    before = scan.read_bytes()
    done = OcrWorker(OcrConfig(timeout=0.3), print).run_one(order_for(scan, "default", 1))
    assert (done.ok, done.reason) == (False, "timeout")
    assert done.seconds < 5  # killed, not waited for
    assert adopt(done) == "timeout"
    assert scan.read_bytes() == before
    assert list(scan.parent.iterdir()) == [scan]


def test_a_result_for_a_scan_deleted_meanwhile_is_thrown_away(scan):
    done = OcrWorker(OcrConfig(), print).run_one(order_for(scan, "default", 1))
    assert done.ok
    scan.unlink()  # retention ran while OCR worked
    assert adopt(done) == "gone"
    assert list(scan.parent.iterdir()) == []


def test_orders_beyond_the_queue_bound_are_refused_at_once(scan):
    worker = OcrWorker(OcrConfig(queue_limit=2), print)  # not started: nothing is taken
    order = order_for(scan, "default", 1)
    assert [worker.submit(order) for _ in range(3)] == [True, True, False]


def test_ocr_runs_niced_one_page_at_a_time_in_vietnamese_with_deskew(tmp_path):
    argv = ocr_command(OcrConfig(), tmp_path / "a.pdf", tmp_path / "b")
    assert argv[:3] == ["nice", "-n", "19"]
    assert argv[3] == "ocrmypdf"
    assert argv[argv.index("-l") + 1] == "vie"
    assert "--deskew" in argv and argv[argv.index("--jobs") + 1] == "1"
    assert "--deskew" not in ocr_command(OcrConfig(deskew=False), tmp_path / "a", tmp_path / "b")


def test_a_temporary_file_left_by_a_stopped_agent_is_removed(scan):
    leftover = temp_path(scan)
    leftover.write_bytes(b"half")
    assert remove_leftovers(scan.parent) == 1
    assert list(scan.parent.iterdir()) == [scan]


def test_ocr_settings_are_checked():
    with pytest.raises(ConfigError) as err:
        load_table(EdgeConfig, {"house": {"id": "h"}, "scanner": {"ocr": {
            "language": "Vietnamese", "timeout": "2s", "queue_limit": 0, "nice": 20}}})
    text = str(err.value)
    for key in ("ocr.language", "ocr.timeout", "ocr.queue_limit", "ocr.nice"):
        assert key in text


def test_scan_ready_comes_first_then_the_scan_becomes_searchable(agent_factory):
    agent = agent_factory({"presets": {"default": {"ocr": True, "resolution": 150}}}).start()
    agent.wait_ready()
    assert agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed")
    [pdf] = agent.pdfs()
    delivered = pdf.stat().st_ino
    agent.pump(lambda: agent.of_type("scan.ocr_completed") or agent.of_type("scan.ocr_failed"),
               timeout=120, what="OCR result")
    kinds = [kind for kind, _ in agent.events]
    assert kinds.index("scan.completed") < kinds.index("scan.ocr_completed")
    done = agent.of_type("scan.ocr_completed")[0]
    assert done["preset"] == "default" and done["pages"] == 1 and done["seconds"] > 0
    assert pdf.stat().st_ino != delivered  # replaced by a new file, atomically
    pdf_text(pdf)  # still a PDF poppler reads
    assert pdf.name not in json.dumps(agent.events)


def test_a_preset_without_ocr_leaves_the_scan_as_delivered(agent_factory):
    agent = agent_factory({"presets": {"default": {"resolution": 150}}}).start()
    agent.wait_ready()
    agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed")
    [pdf] = agent.pdfs()
    delivered = pdf.stat().st_ino
    deadline = time.monotonic() + 3  # OCR of this page would have finished by now
    while time.monotonic() < deadline:
        agent.pump_once(0.1)
    assert not any(kind.startswith("scan.ocr") for kind, _ in agent.events)
    assert pdf.stat().st_ino == delivered


def test_check_says_whether_ocr_can_run(tmp_path):
    from edge.scanning.ocr import check_line_for
    assert check_line_for(OcrConfig()).ok is True
    missing = check_line_for(OcrConfig(language="vie+xyz"))
    assert missing.ok is False and "xyz" in missing.what.params["missing"]


def test_a_scan_beyond_the_ocr_queue_is_reported_busy_and_stays_image_only(scan):
    from edge.scanning.ocr import order
    worker = OcrWorker(OcrConfig(queue_limit=1), print)  # not started: the slot stays taken
    said = []
    order(worker, lambda kind, data: said.append((kind, data)), "default", scan, 1)
    order(worker, lambda kind, data: said.append((kind, data)), "default", scan, 1)
    assert said == [("scan.ocr_failed", {"preset": "default", "reason": "busy"})]


def test_the_worker_thread_reports_through_the_agents_queue(scan):
    import queue as queue_module
    items = queue_module.Queue()
    worker = OcrWorker(OcrConfig(), items.put)
    worker.start()
    try:
        assert worker.submit(order_for(scan, "default", 1))
        done = items.get(timeout=120)
    finally:
        worker.stop()
    assert done.ok and done.result.exists()
    assert adopt(done) == "" and words(pdf_text(scan))
