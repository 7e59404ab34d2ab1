import pytest

from edge.printing.config import PrinterConfig
from harness.cups import CupsServer, FakeIppPrinter
from harness.printrig import make_pdf, set_paper, wait_queue_ready


@pytest.fixture(scope="session")
def printer():
    with FakeIppPrinter() as eve:
        yield eve


@pytest.fixture
def fake_printer(printer):
    """The shared fake printer, reset: paper loaded, 1 page per job, no delay."""
    printer.set_pages(1)
    printer.set_page_seconds(0)
    printer.set_reasons([], ["media-empty-error"])
    (printer.ctl / "exit_code").write_text("0")
    set_paper(printer, 250)
    return printer


@pytest.fixture
def cupsd(fake_printer):
    with CupsServer() as server:
        server.add_ipp_queue("house", fake_printer.uri, hold=True)
        wait_queue_ready(server.server, "house")
        yield server


@pytest.fixture
def print_cfg(cupsd):
    return PrinterConfig(enabled=True, queue="house", server=cupsd.server, poll_interval=1.0,
                         notify_interval=0.1, heal_interval=1.0)


@pytest.fixture
def pdf(tmp_path):
    return make_pdf(tmp_path / "doc.pdf", pages=3)
