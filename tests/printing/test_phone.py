"""Phone printing: the house queue shared by DNS-SD (IPP Everywhere / AirPrint) and a job
sent the way a phone sends it, held until PRINT, against the real cupsd, ippeveprinter and
avahi limited to the loopback interface."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from edge.printing.feature import PrintFeature
from edge.printing.rules import HELD
from harness.cups import CupsServer
from harness.printrig import (PERSONAL_TITLE, LoopAgent, cups_conn, job_state, make_pdf,
                              wait_queue_ready)
from harness.procs import wait_for

PHONE_TEST = Path(__file__).parent / "data" / "phone-print-job.test"
PHONE_USER = "nguyen-van-an-iphone"  # requesting-user-name a phone sends: never leaves the Pi


@pytest.fixture(scope="module")
def lan_cupsd(printer):
    """A private cupsd sharing printers by DNS-SD (over lo only) with a held queue."""
    with CupsServer(share_on_lan=True) as server:
        server.add_ipp_queue("house", printer.uri, hold=True)
        wait_queue_ready(server.server, "house")
        yield server
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def unshared(lan_cupsd, fake_printer):
    """The queue as lpadmin may leave it: not shared (the agent shares it at start)."""
    lan_cupsd.lpadmin("-p", "house", "-o", "printer-is-shared=false")
    return lan_cupsd


@pytest.fixture
def agent(tmp_path):
    loop = LoopAgent(tmp_path)
    yield loop
    loop.stop()


def config(server: CupsServer, share_on_lan: bool = True):
    from edge.printing.config import PrinterConfig
    return PrinterConfig(enabled=True, queue="house", server=server.server, poll_interval=1.0,
                         notify_interval=0.1, heal_interval=1.0, share_on_lan=share_on_lan)


def start(agent, cfg) -> PrintFeature:
    feature = PrintFeature(cfg, agent.ctx)
    agent.start(feature)
    wait_for(lambda: feature.snapshot is not None and feature.snapshot.status.state == "idle",
             20, what="first idle snapshot")
    return feature


def find_house_queues(server: CupsServer, seconds: int = 4) -> list[dict]:
    """What a phone sees: ippfind browsing _ipp._tcp with AirPrint's _universal subtype;
    the queues named house of this cupsd (its port), resolved."""
    out = subprocess.run(
        ["ippfind", "-T", str(seconds), "_ipp._tcp,_universal", "--name", "^house",
         "--exec", "echo", "{service_uri}", "{service_port}", "{txt_rp}", "{txt_pdl}", ";"],
        env=server.env, capture_output=True, text=True, timeout=seconds + 20).stdout
    found = []
    for line in out.splitlines():
        uri, port, rp, pdl = (line.split(" ", 3) + [""] * 4)[:4]
        if port == str(server.port):
            found.append({"uri": uri, "rp": rp, "pdl": pdl.split(",")})
    return found


def print_from_phone(server: CupsServer, rp: str, pdf: Path) -> int:
    """Print-Job to the advertised queue with ipptool, as a phone's print service does;
    the advertised host name is this machine, reached here through 127.0.0.1."""
    result = subprocess.run(
        ["ipptool", "-tv", "-f", str(pdf), "-d", f"user={PHONE_USER}",
         "-d", f"title={PERSONAL_TITLE}", f"ipp://127.0.0.1:{server.port}/{rp}",
         str(PHONE_TEST)], env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return int(re.search(r"job-id \(integer\) = (\d+)", result.stdout).group(1))


def test_the_agent_shares_the_queue_so_a_phone_finds_it_by_dns_sd(agent, unshared):
    assert find_house_queues(unshared, seconds=3) == []
    start(agent, config(unshared))
    wait_for(lambda: cups_conn(unshared.server).getPrinterAttributes(
        "house", requested_attributes=["printer-is-shared"])["printer-is-shared"], 10,
        what="queue shared")
    found = find_house_queues(unshared)
    assert [q["rp"] for q in found] == ["printers/house"]
    assert "application/pdf" in found[0]["pdl"]


def test_share_on_lan_off_leaves_the_queue_unshared(agent, unshared):
    start(agent, config(unshared, share_on_lan=False))
    assert cups_conn(unshared.server).getPrinterAttributes(
        "house", requested_attributes=["printer-is-shared"])["printer-is-shared"] is False


def test_a_phone_job_is_held_until_print_is_pressed_and_says_nothing_personal(
        agent, unshared, fake_printer, tmp_path):
    fake_printer.set_pages(2)
    start(agent, config(unshared))
    [queue] = find_house_queues(unshared)
    job = print_from_phone(unshared, queue["rp"], make_pdf(tmp_path / "giay-to.pdf", 2))
    assert agent.wait_event("print.job_held") == [{"job": job}]
    assert job_state(unshared.server, job) == HELD
    agent.press()
    assert agent.wait_event("print.job_completed", 30) == [{"job": job, "pages": 2}]
    assert ("print.job_released", {"job": job, "by": "button"}) in agent.events
    said = json.dumps(agent.events, ensure_ascii=False)
    assert PHONE_USER not in said and PERSONAL_TITLE not in said and "giay-to" not in said


def test_a_phone_job_nobody_comes_for_expires_like_any_other(agent, unshared, tmp_path):
    cfg = dataclasses.replace(config(unshared), hold_expiry=60.0)
    feature = start(agent, cfg)
    [queue] = find_house_queues(unshared)
    job = print_from_phone(unshared, queue["rp"], make_pdf(tmp_path / "doc.pdf"))
    agent.wait_event("print.job_held")
    # Age the job instead of waiting an hour: the core compares CUPS' creation time to now.
    from harness.printrig import now as real_now
    from edge.feature import Now
    later = real_now()
    agent.call(feature.tick, Now(later.wall + 120, later.mono + 120))
    assert agent.wait_event("print.job_expired") == [{"job": job}]


def test_check_says_phones_find_the_queue_and_every_job_waits(unshared):
    unshared.lpadmin("-p", "house", "-o", "printer-is-shared=true")
    lines = {line.key: line for line in PrintFeature(config(unshared), _ctx()).check()}
    assert lines["printer.lan"].ok is True
    assert lines["printer.hold"].ok is True


def test_check_fails_when_the_queue_is_not_shared_for_phones(unshared):
    lines = {line.key: line for line in PrintFeature(config(unshared), _ctx()).check()}
    assert lines["printer.lan"].ok is False
    assert lines["printer.lan"].fix.key == "check.printer.lan.queue_unshared.fix"


def _ctx():
    from edge.feature import FeatureContext
    return FeatureContext("house-01", Path("/nonexistent"), lambda item: None,
                          lambda kind, data: None)
