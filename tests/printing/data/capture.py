"""Capture the attribute dictionaries tests/printing/test_parsers.py reads, from a real
cupsd in front of ippeveprinter (harness/). Run as root from the repository root:

    .venv/bin/python -m tests.printing.data.capture

Each file is exactly what pycups answered to the request the adapter makes (the same
requested attributes: never job-name or job-originating-user-name), so no title or user
name can be in them. See README.md beside this file.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import cups

from edge.printing.parsers import DEVICE_ATTRS, JOB_ATTRS, PRINTER_ATTRS
from harness.cups import CupsServer, FakeIppPrinter
from harness.printrig import cups_conn, make_pdf, set_paper, submit_held, wait_queue_ready
from harness.procs import wait_for

HERE = Path(__file__).resolve().parent


def save(name: str, request: dict, answer) -> None:
    text = json.dumps({"request": request, "answer": answer}, indent=1, sort_keys=True,
                      default=str)
    for secret in ("Nguyen", "CCCD", "root", ".pdf"):
        assert secret not in text, f"{name} holds {secret!r}"
    (HERE / f"{name}.json").write_text(text + "\n")
    print("wrote", name)


def printer_pair(conn, device, eve) -> dict:
    """The queue's attributes as CUPS gives them, and the device's own answer (or None)."""
    try:
        dev = device.getPrinterAttributes(uri=eve.uri, requested_attributes=DEVICE_ATTRS)
    except (cups.IPPError, cups.HTTPError, RuntimeError):
        dev = None
    return {"cups": conn.getPrinterAttributes("house", requested_attributes=PRINTER_ATTRS),
            "device": dev}


def jobs(conn) -> dict:
    return conn.getJobs(which_jobs="not-completed", requested_attributes=JOB_ATTRS)


def job(conn, jid: int) -> dict:
    return conn.getJobAttributes(jid, requested_attributes=JOB_ATTRS)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ch-capture-"))
    pdf = make_pdf(tmp / "doc.pdf", 3)
    damaged = tmp / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    with FakeIppPrinter() as eve, CupsServer() as srv:
        srv.add_ipp_queue("house", eve.uri, hold=True)
        srv.add_null_queue("other", hold=True)
        wait_queue_ready(srv.server, "house")
        set_paper(eve, 250)
        conn = cups_conn(srv.server)
        device = cups.Connection(host="127.0.0.1", port=eve.port)
        req = {"getJobs": {"which_jobs": "not-completed", "requested_attributes": JOB_ATTRS}}
        printer_req = {"getPrinterAttributes": PRINTER_ATTRS, "device": DEVICE_ATTRS}

        save("printer_idle", printer_req, printer_pair(conn, device, eve))
        save("getprinters", {"getPrinters": {}}, conn.getPrinters())

        first = submit_held(srv.server, "house", pdf)
        time.sleep(1.1)  # a later time-at-creation for the second job
        second = submit_held(srv.server, "house", pdf)
        submit_held(srv.server, "other", pdf)
        save("jobs_held_two_queues", req, jobs(conn))

        eve.set_pages(3)
        eve.set_page_seconds(1)
        conn.setJobHoldUntil(first, "no-hold")
        wait_for(lambda: job(conn, first)["job-state"] == 5, 20, what="printing")
        save("jobs_one_processing", req, jobs(conn))
        save("printer_processing", printer_req,
             printer_pair(conn, device, eve))
        wait_for(lambda: job(conn, first)["job-state"] == 9, 30, what="completed")
        save("job_completed", {"getJobAttributes": JOB_ATTRS}, job(conn, first))

        conn.cancelJob(second)
        wait_for(lambda: job(conn, second)["job-state"] == 7, 20, what="cancelled")
        save("job_cancelled", {"getJobAttributes": JOB_ATTRS}, job(conn, second))

        eve.set_page_seconds(0)
        stuck = conn.printFile("house", str(damaged), "x", {"document-format": "application/pdf"})
        conn.setJobHoldUntil(stuck, "no-hold")
        wait_for(lambda: job(conn, stuck)["job-state"] == 6, 40, what="stopped")
        save("jobs_one_stopped", req, jobs(conn))
        conn.cancelJob(stuck)

        set_paper(eve, 0)
        wait_for(lambda: "media-empty-report" in str(printer_pair(conn, device, eve)["device"]),
                 20, what="paper out")
        save("printer_media_empty", printer_req, printer_pair(conn, device, eve))
        set_paper(eve, 250)

        conn.disablePrinter("house", reason="backend failed")
        save("printer_paused", printer_req, printer_pair(conn, device, eve))
        conn.enablePrinter("house")

        eve.stop()
        save("printer_device_offline", printer_req, printer_pair(conn, device, eve))


if __name__ == "__main__":
    main()
