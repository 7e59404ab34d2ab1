"""The dashboard cannot be exhausted: idle and slow connections hold no worker, time out,
and a refused body closes its connection."""
from __future__ import annotations

import threading
import time

import pytest

from tests.webprobe import closed_within, open_idle, raw_request, timed_get

IDLE = "2s"


@pytest.fixture
def port(make_central):
    return make_central(web={"idle_timeout": IDLE}).web.port


def test_three_hundred_idle_connections_leave_login_and_healthz_answering(port):
    threads_before = threading.active_count()
    idle = open_idle(port, 300)
    try:
        time.sleep(0.5)
        # They hold no thread: under the unit's TasksMax a thread each would exhaust it.
        assert threading.active_count() - threads_before < 10
        for path in ("/healthz", "/login"):
            status, seconds = timed_get(port, path)
            assert status == 200 and seconds < 2
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(port):
    (sock,) = open_idle(port, 1)
    assert closed_within(sock, 10)


def test_a_post_that_announces_a_body_and_sends_none_times_out(port):
    sock, answer = raw_request(port, f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                     "Content-Length: 100\r\n\r\n".encode(), timeout=1)
    assert answer == b"" and closed_within(sock, 10)


def test_a_body_over_the_limit_gets_413_and_the_connection_is_closed(port):
    body = b"x" * (70 * 1024)
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock, answer = raw_request(port, head + body + b"GET /healthz HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413") and closed_within(sock, 5)


def test_a_chunked_body_is_read_by_its_framing(port):
    body = b"user=a&password=b"
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    sock, answer = raw_request(port, f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401")  # a wrong login, understood as one
