"""The local scan page over real HTTP: who sees the list of scans, files, PINs, retention."""
from __future__ import annotations

import http.client
import os
import time
import urllib.parse

import pytest

from edge.scanning.page_access import is_allowed

HOUSE_PC, PHONE = "127.0.0.1", "127.0.0.5"  # all of 127.0.0.0/8 reaches the page


def fetch(port: int, path: str, form: dict | None = None, *, source: str = PHONE,
          cookie: str = "", method: str | None = None, body: bytes | None = None,
          headers: dict | None = None):
    """(status, body, headers) of one request sent from the `source` loopback address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    try:
        conn.request(method or ("GET" if body is None else "POST"), path, body=body,
                     headers=sent)
        reply = conn.getresponse()
        return reply.status, reply.read(), reply.headers
    finally:
        conn.close()


def scan_one(agent) -> str:
    """Press SCAN, let the scan finish; the new PDF's name."""
    before, done = {p.name for p in agent.pdfs()}, len(agent.of_type("scan.completed"))
    agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed", done + 1)
    (name,) = {p.name for p in agent.pdfs()} - before
    return name


def code_of(agent, name: str) -> str:
    """The pickup code the job store holds for a scan."""
    return next(s.code for s in agent.feature.store.scans() if s.name == name)


@pytest.fixture
def house_pc_agent(agent_factory):
    agent = agent_factory({"web": {"staff_addresses": [HOUSE_PC]}}).start()
    agent.wait_ready()
    return agent


def test_the_house_pc_sees_recent_scans_newest_first_with_codes_thumbnails_and_downloads(
        house_pc_agent):
    agent = house_pc_agent
    first = scan_one(agent)
    os.utime(agent.output_dir / first, (time.time() - 60, time.time() - 60))
    second = scan_one(agent)
    status, body, headers = fetch(agent.web_port, "/", source=HOUSE_PC)
    page = body.decode()
    assert status == 200 and "Bản quét gần đây" in page
    assert page.index(second) < page.index(first)
    code = code_of(agent, second)
    assert f"{code[:3]} {code[3:]}" in page  # the newest code, large, for the citizen
    assert f"/thumbs/{second[:-4]}.jpg" in page
    assert headers["Cache-Control"] == "no-store" and "script-src" not in \
        headers["Content-Security-Policy"] and "<script" not in page
    status, pdf, headers = fetch(agent.web_port, f"/files/{second}", source=HOUSE_PC)
    assert status == 200 and pdf.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"
    assert fetch(agent.web_port, f"/thumbs/{second[:-4]}.jpg", source=HOUSE_PC)[1][:2] == b"\xff\xd8"


def test_any_other_address_gets_the_pickup_form_and_no_list_or_file(house_pc_agent):
    agent = house_pc_agent
    name = scan_one(agent)
    status, body, _ = fetch(agent.web_port, "/", source=PHONE)
    page = body.decode()
    assert status == 200 and 'action="/pickup?lang=vi"' in page
    assert name not in page and name[:-4] not in page and code_of(agent, name) not in page
    assert fetch(agent.web_port, f"/files/{name}", source=PHONE)[0] == 403
    assert fetch(agent.web_port, f"/thumbs/{name[:-4]}.jpg", source=PHONE)[0] == 403


def test_by_default_nobody_gets_the_list_of_scans(agent):
    name = scan_one(agent)
    for source in (HOUSE_PC, PHONE):
        status, body, _ = fetch(agent.web_port, "/", source=source)
        assert status == 200 and name not in body.decode()
        assert fetch(agent.web_port, f"/files/{name}", source=source)[0] == 403


def test_page_is_available_in_english(agent):
    status, body, _ = fetch(agent.web_port, "/?lang=en")
    assert status == 200 and "Get your scan" in body.decode()


def test_request_from_outside_the_allowed_subnets_is_refused(agent_factory):
    agent = agent_factory({"web": {"allowed_subnets": ["192.168.50.0/24"],
                                   "staff_addresses": [HOUSE_PC]}}).start()
    status, body, _ = fetch(agent.web_port, "/", source=HOUSE_PC)
    assert status == 403 and b"%PDF" not in body


def test_files_outside_our_naming_cannot_be_fetched(house_pc_agent):
    agent = house_pc_agent
    (agent.output_dir / "secret.pdf").write_bytes(b"%PDF-1.4 other")
    for path in ("/files/secret.pdf", "/files/..%2Fstate%2Fscan-queue.sqlite3", "/files/../x",
                 "/files/scan-20260101-101010.pdf%0a", "/thumbs/..%2F..%2Fsecret.jpg"):
        status, body, _ = fetch(agent.web_port, path, source=HOUSE_PC)
        assert status == 404 and b"%PDF" not in body


def test_the_staff_pin_opens_the_list_from_any_address(agent_factory):
    agent = agent_factory({"web": {"pin": "246813"}}).start()
    agent.wait_ready()
    name = scan_one(agent)
    assert fetch(agent.web_port, f"/files/{name}")[0] == 401
    assert fetch(agent.web_port, "/login", {"pin": "111111"})[0] == 403
    status, _, headers = fetch(agent.web_port, "/login", {"pin": "246813"})
    assert status == 303
    cookie = headers["Set-Cookie"].split(";")[0]
    assert name in fetch(agent.web_port, "/", cookie=cookie)[1].decode()
    status, body, _ = fetch(agent.web_port, f"/files/{name}", cookie=cookie)
    assert status == 200 and body.startswith(b"%PDF")


def test_repeated_wrong_pins_lock_the_address_out(agent_factory):
    agent = agent_factory({"web": {"pin": "246813"}}).start()
    codes = [fetch(agent.web_port, "/login", {"pin": "000000"})[0] for _ in range(6)]
    assert codes == [403] * 5 + [429]
    assert fetch(agent.web_port, "/login", {"pin": "246813"})[0] == 429


def test_wrong_pins_from_many_addresses_pause_pin_logins_for_everyone(agent_factory):
    agent = agent_factory({"web": {"pin": "246813"}}).start()
    codes = [fetch(agent.web_port, "/login", {"pin": "000000"}, source=f"127.0.3.{i}")[0]
             for i in range(1, 13)]
    assert codes == [403] * 10 + [429] * 2
    status, _, headers = fetch(agent.web_port, "/login", {"pin": "246813"}, source="127.0.3.99")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 3600


def test_retention_deletes_old_scans_and_their_thumbnails(agent):
    scan_one(agent)
    [pdf] = agent.pdfs()
    assert list(agent.feature.thumbs_dir.iterdir())
    agent.advance(3600)
    assert agent.pdfs() == [pdf]
    agent.advance(3601)
    assert agent.pdfs() == [] and list(agent.feature.thumbs_dir.iterdir()) == []
    assert agent.feature.store.scans() == []


def test_retention_counts_from_the_scans_recorded_time_not_the_files(agent):
    name = scan_one(agent)
    agent.advance(7200 - 30)
    later = time.time() + agent.offset
    os.utime(agent.output_dir / name, (later, later))  # touched, e.g. by a sync tool
    agent.advance(60)
    assert agent.pdfs() == []


def test_a_scan_recorded_in_the_future_is_removed(agent):
    name = scan_one(agent)
    agent.feature.store.db.execute("UPDATE scans SET made = made + 86400 WHERE name = ?",
                                   (name,))
    agent.advance(61)  # the next retention sweep
    assert agent.pdfs() == [] and list(agent.feature.thumbs_dir.iterdir()) == []
    assert agent.feature.store.scans() == []


def test_retention_at_start_up_removes_leftovers_and_future_files_but_not_other_files(
        agent_factory, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old, future = time.time() - 3 * 3600, time.time() + 30 * 86400
    for name, when in (("scan-20260101-101010.pdf", old), (".ch-part-abc", old),
                       ("report.docx", old), ("scan-20991231-235959.pdf", future)):
        (out / name).write_bytes(b"x")
        os.utime(out / name, (when, when))
    (out / "scan-20260101-111111.pdf").write_bytes(b"%PDF")  # recent: kept
    agent_factory().start()
    assert sorted(p.name for p in out.iterdir()) == ["report.docx", "scan-20260101-111111.pdf"]


@pytest.mark.parametrize("address, allowed", [("192.168.1.20", True), ("10.1.2.3", True),
                                              ("8.8.8.8", False), ("::ffff:192.168.1.5", True),
                                              ("not-an-ip", False)])
def test_default_subnets_are_the_private_house_lan(address, allowed):
    from edge.scanning.config import PRIVATE_SUBNETS
    assert is_allowed(address, PRIVATE_SUBNETS) is allowed


def test_a_garbled_login_request_gets_a_clear_400_and_the_page_keeps_working(agent_factory):
    agent = agent_factory({"web": {"pin": "4321"}}).start()
    conn = http.client.HTTPConnection("127.0.0.1", agent.web_port, timeout=10)
    conn.putrequest("POST", "/login")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()
    assert conn.getresponse().status == 400
    conn.close()
    assert fetch(agent.web_port, "/login")[0] == 200  # the PIN form, served as before
