"""COPY: scan, then hand the PDF to the printer (a real cupsd) with its page count."""
from __future__ import annotations

import cups
import pytest
from pypdf import PdfReader

from harness.cups import CupsServer
from harness.procs import wait_for


@pytest.fixture(scope="module")
def cups_server():
    server = CupsServer().start()
    server.add_null_queue("house")
    yield server
    server.stop()


def print_copy(server: CupsServer, request) -> dict:
    """A stand-in for the print feature: submit unheld, wait until CUPS has finished it."""
    cups.setServer(server.server)
    conn = cups.Connection()
    job = conn.printFile("house", request.path, "copy", {})
    attrs = ["job-state", "job-impressions-completed"]
    return wait_for(lambda: (a := conn.getJobAttributes(job, requested_attributes=attrs))
                    and a["job-state"] >= cups.IPP_JOB_CANCELED and a, 60, what="copy printed")


def test_copy_reaches_the_printer_with_its_page_count(agent_factory, cups_server):
    agent = agent_factory({"copy_preset": "feeder"}, printer=True).start()
    agent.wait_ready()
    assert agent.press("copy") is True
    agent.pump(lambda: agent.copies, what="copy request")
    [request] = agent.copies
    assert request.pages == 10 == len(PdfReader(request.path).pages)
    job = print_copy(cups_server, request)
    assert job["job-state"] == cups.IPP_JOB_COMPLETED
    assert job["job-impressions-completed"] == 10


def test_copy_is_not_delivered_as_a_scan(agent_factory):
    agent = agent_factory(printer=True).start()
    agent.wait_ready()
    agent.press("copy")
    agent.pump(lambda: agent.copies, what="copy request")
    done = agent.of_type("scan.completed")[0]
    assert done["purpose"] == "copy" and done["pages"] == 1
    assert agent.pdfs() == []


def test_copy_file_is_deleted_after_copy_retention(agent_factory):
    agent = agent_factory({"copy_retention": "10m"}, printer=True).start()
    agent.wait_ready()
    agent.press("copy")
    agent.pump(lambda: agent.copies, what="copy request")
    path = agent.copies[0].path
    agent.advance(5 * 60 + 61)
    assert (agent.feature.copies_dir / path.rsplit("/", 1)[1]).exists()
    agent.advance(6 * 60)
    assert not (agent.feature.copies_dir / path.rsplit("/", 1)[1]).exists()


def test_copy_is_refused_when_no_printer_is_configured(agent):
    assert agent.press("copy") is False
    assert agent.feature.metrics(agent.now())["scan.queue"] == 0
