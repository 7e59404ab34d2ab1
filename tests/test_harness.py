"""The harness really runs cupsd, ippeveprinter, mosquitto and libsane's test backend."""
import cups
import paho.mqtt.client as mqtt
import paho.mqtt.publish as publish
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image

from harness.procs import wait_for


@pytest.fixture(scope="module")
def pdf_of_three_pages(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "three.pdf"
    pages = [Image.new("L", (200, 280), 255) for _ in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def test_private_cupsd_holds_jobs_on_a_dev_null_queue(cups_server, pdf_of_three_pages):
    cups_server.add_null_queue("harness-null", hold=True)
    cups.setServer(cups_server.server)
    conn = cups.Connection()
    job = conn.printFile("harness-null", str(pdf_of_three_pages), "t", {})
    state = conn.getJobAttributes(job, requested_attributes=["job-state"])["job-state"]
    assert state == cups.IPP_JOB_HELD
    conn.cancelJob(job)


def test_fake_ipp_printer_reports_the_pages_it_was_told_to(cups_server, fake_printer,
                                                           pdf_of_three_pages):
    cups_server.add_ipp_queue("harness-eve", fake_printer.uri, hold=False)
    # What is tested is the fake printer's page count: a backend hiccup on a loaded machine
    # (seen once in a few full runs as an aborted job) is retried, not taken as the answer.
    cups_server.lpadmin("-p", "harness-eve", "-o", "printer-error-policy=retry-current-job")
    fake_printer.set_pages(3)
    cups.setServer(cups_server.server)
    conn = cups.Connection()
    job = conn.printFile("harness-eve", str(pdf_of_three_pages), "t", {})
    attrs = wait_for(lambda: (a := conn.getJobAttributes(
        job, requested_attributes=["job-state", "job-impressions-completed",
                                   "job-state-reasons"]))["job-state"] >= 7
        and a, 60, interval=0.2, what="job finished")
    assert attrs["job-state"] == cups.IPP_JOB_COMPLETED, (attrs, cups_server.error_log()[-3000:])
    assert attrs["job-impressions-completed"] == 3


def test_sane_sees_only_the_test_backend():
    import sane
    sane.init()
    names = [d[0] for d in sane.get_devices()]
    assert names and all(n.startswith("test:") for n in names)


def test_mosquitto_delivers_on_loopback(broker):
    got, subscribed = [], []
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: got.append(m.payload)
    client.on_subscribe = lambda *args: subscribed.append(True)
    client.connect("127.0.0.1", broker.port)
    client.subscribe("t/#", qos=1)
    client.loop_start()
    try:
        wait_for(lambda: subscribed, 5, what="subscription")
        publish.single("t/x", b"hello", qos=1, hostname="127.0.0.1", port=broker.port)
        wait_for(lambda: got, 5, what="message")
        assert got == [b"hello"]
    finally:
        client.loop_stop()
        client.disconnect()
