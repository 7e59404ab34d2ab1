"""The local scan page over real HTTP, its access rules, and retention of scans."""
from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from edge.scanning.web import is_allowed


def fetch(url: str, data: dict | None = None, cookie: str = "") -> tuple[int, bytes, dict]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Cookie": cookie} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def scan_one(agent) -> str:
    agent.press("scan")
    agent.finish_session()
    agent.wait_event("scan.completed")
    return agent.pdfs()[-1].name


def test_page_lists_recent_scans_newest_first_with_thumbnail_and_download(agent):
    first, second = scan_one(agent), None
    os.utime(agent.pdfs()[0], (time.time() - 60, time.time() - 60))
    second = scan_one(agent)
    base = f"http://127.0.0.1:{agent.web_port}"
    status, body, headers = fetch(base + "/")
    page = body.decode()
    assert status == 200 and "Bản quét gần đây" in page
    assert page.index(second) < page.index(first)
    assert f"/thumbs/{second[:-4]}.jpg" in page
    assert headers["Cache-Control"] == "no-store"
    status, pdf, headers = fetch(f"{base}/files/{second}")
    assert status == 200 and pdf.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"
    assert fetch(f"{base}/thumbs/{second[:-4]}.jpg")[1][:2] == b"\xff\xd8"


def test_page_is_available_in_english(agent):
    status, body, _ = fetch(f"http://127.0.0.1:{agent.web_port}/?lang=en")
    assert status == 200 and "Recent scans" in body.decode()


def test_request_from_outside_the_allowed_subnets_is_refused(agent_factory):
    agent = agent_factory({"web": {"allowed_subnets": ["192.168.50.0/24"]}}).start()
    status, body, _ = fetch(f"http://127.0.0.1:{agent.web_port}/")
    assert status == 403 and b"%PDF" not in body


def test_files_outside_our_naming_cannot_be_fetched(agent):
    (agent.output_dir / "secret.pdf").write_bytes(b"%PDF-1.4 other")
    base = f"http://127.0.0.1:{agent.web_port}"
    for path in ("/files/secret.pdf", "/files/..%2Fstate%2Fscan-queue.sqlite3", "/files/../x"):
        assert fetch(base + path)[0] == 404


def test_pin_is_required_when_configured(agent_factory):
    agent = agent_factory({"web": {"pin": "2468"}}).start()
    agent.wait_ready()
    name = scan_one(agent)
    base = f"http://127.0.0.1:{agent.web_port}"
    assert fetch(f"{base}/files/{name}")[0] == 401
    assert fetch(f"{base}/login", {"pin": "1111"})[0] == 403
    status, _, headers = fetch(f"{base}/login", {"pin": "2468"})
    assert status == 303
    cookie = headers["Set-Cookie"].split(";")[0]
    status, body, _ = fetch(f"{base}/files/{name}", cookie=cookie)
    assert status == 200 and body.startswith(b"%PDF")


def test_repeated_wrong_pins_lock_the_client_out(agent_factory):
    agent = agent_factory({"web": {"pin": "2468"}}).start()
    base = f"http://127.0.0.1:{agent.web_port}"
    codes = [fetch(f"{base}/login", {"pin": "0000"})[0] for _ in range(6)]
    assert codes == [403] * 5 + [429]
    assert fetch(f"{base}/login", {"pin": "2468"})[0] == 429


def test_retention_deletes_old_scans_and_their_thumbnails(agent):
    scan_one(agent)
    [pdf] = agent.pdfs()
    thumbs = list(agent.feature.thumbs_dir.iterdir())
    assert thumbs
    agent.advance(3600)
    assert agent.pdfs() == [pdf]
    agent.advance(3601)
    assert agent.pdfs() == [] and list(agent.feature.thumbs_dir.iterdir()) == []


def test_retention_at_start_up_removes_leftovers_but_not_other_files(agent_factory, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old = time.time() - 3 * 3600
    for name in ("scan-20260101-101010.pdf", ".ch-part-abc", "report.docx"):
        (out / name).write_bytes(b"x")
        os.utime(out / name, (old, old))
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
    import http.client
    agent = agent_factory({"web": {"pin": "4321"}}).start()
    conn = http.client.HTTPConnection("127.0.0.1", agent.web_port, timeout=10)
    conn.putrequest("POST", "/login")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()
    reply = conn.getresponse()
    assert reply.status == 400
    conn.close()
    status, _, _ = fetch(f"http://127.0.0.1:{agent.web_port}/")
    assert status == 401  # the PIN form, served as before
