"""Forged cookies and odd input get a 4xx and one clean log line, never a traceback."""
from __future__ import annotations

import logging

import pytest

from tests.scanning.test_web import fetch, scan_one
from tests.webprobe import raw_request

FORGED = [
    "ch_scan=99999999999999999999999999999999999999.abc",  # overflowed a float before
    "ch_scan=1.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # well formed, not ours
    "ch_scan=١٧٠٠٠٠٠٠٠٠.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # digits of another script
    "ch_scan=" + "9" * 4000,
    "ch_scan=Đ.ð; other=1",
    "ch_scan",
    "=;;==; ch_scan=1=2=3",
]


@pytest.fixture
def pin_agent(agent_factory):
    agent = agent_factory({"web": {"pin": "246813"}}).start()
    agent.wait_ready()
    return agent


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


@pytest.mark.parametrize("cookie", FORGED)
def test_a_forged_cookie_gets_the_pin_form_and_no_traceback(pin_agent, caplog, cookie):
    caplog.set_level(logging.DEBUG)
    name = scan_one(pin_agent)
    status, body, headers = fetch(pin_agent.web_port, f"/files/{name}",
                                  headers={"Cookie": cookie.encode()})
    assert status == 401 and b"%PDF" not in body and b"Traceback" not in body
    assert tracebacks(caplog) == []
    if "ch_scan=" in cookie and "ch_scan=;" not in cookie:
        assert headers["Set-Cookie"].startswith("ch_scan=; Max-Age=0")
        assert any("forged or expired session cookie" in r.getMessage() for r in caplog.records)


def test_a_flood_of_forged_cookies_logs_one_line_a_minute(pin_agent, caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(20):
        fetch(pin_agent.web_port, "/files/scan-20260101-101010.pdf", cookie=FORGED[1])
    lines = [r for r in caplog.records if "session cookie" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING


ODD_POSTS = [
    ("/pickup", b"code=%ff%fe%fd", "application/x-www-form-urlencoded"),  # not UTF-8
    ("/pickup", "code=١٢٣٤٥٦".encode(), "application/x-www-form-urlencoded"),
    ("/pickup", b"code=" + b"1" * 3000, "application/x-www-form-urlencoded"),  # huge field
    ("/pickup", b"code=123456&code=654321", "application/x-www-form-urlencoded"),
    ("/pickup", b"&".join(b"f%d=1" % i for i in range(50)), "application/x-www-form-urlencoded"),
    ("/pickup", b"--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n1\r\n--x--",
     "multipart/form-data; boundary=x"),
    ("/pickup", b"\x00\x01\x02", "application/octet-stream"),
    ("/login", b"pin=%ff", "application/x-www-form-urlencoded"),
    ("/login", b"pin=" + b"2" * 3000, "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize("path, body, kind", ODD_POSTS)
def test_an_odd_form_gets_a_400_and_no_traceback(pin_agent, caplog, path, body, kind):
    caplog.set_level(logging.DEBUG)
    status, reply, _ = fetch(pin_agent.web_port, path, body=body,
                             headers={"Content-Type": kind})
    assert status == 400 and b"Traceback" not in reply
    assert tracebacks(caplog) == []
    assert pin_agent.feature.web._guesses.overall == ()  # no guess was charged


@pytest.mark.parametrize("method, path, expected", [
    ("GET", "/?" + "&".join(f"x{i}=1" for i in range(40)), 400),
    ("GET", "/?lang=%ff%fe", 200),  # an unknown language is just the default one
    ("GET", "/files/..%2F..%2Fetc%2Fpasswd", 404),
    ("GET", "/thumbs/%00.jpg", 404),
    ("GET", "/" + "a" * 3000, 404),
    ("PUT", "/pickup", 405),
    ("DELETE", "/", 405),
    ("GET", "/pickup", 405),
])
def test_odd_requests_get_a_clear_answer_and_no_traceback(pin_agent, caplog, method, path,
                                                         expected):
    caplog.set_level(logging.DEBUG)
    status, body, _ = fetch(pin_agent.web_port, path, method=method)
    assert status == expected and b"Traceback" not in body
    assert tracebacks(caplog) == []


def test_headers_over_the_limit_are_refused_without_reaching_the_page(pin_agent):
    port = pin_agent.web_port
    sock, answer = raw_request(port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                     f"Cookie: ch_scan={'9' * 20000}\r\n\r\n".encode())
    sock.close()
    assert answer.split(b" ", 2)[1].startswith(b"4")
