"""The dashboard cannot be exhausted: idle and slow connections hold no worker, time out,
and a refused body closes its connection."""
from __future__ import annotations

import pytest

from tests.webprobe import (closed_within, idle_flood_answers, missing_body_is_closed, open_idle,
                            oversized_body_is_refused_and_closed, raw_request)

IDLE = "2s"


@pytest.fixture
def port(make_central):
    return make_central(web={"idle_timeout": IDLE}).web.port


def test_three_hundred_idle_connections_leave_login_and_healthz_answering(port):
    assert idle_flood_answers(port, ("/healthz", "/login")) == []


def test_an_idle_connection_is_closed_after_the_idle_timeout(port):
    (sock,) = open_idle(port, 1)
    assert closed_within(sock, 10)


def test_a_post_that_announces_a_body_and_sends_none_times_out(port):
    assert missing_body_is_closed(port, "/login")


def test_a_body_over_the_limit_gets_413_and_the_connection_is_closed(port):
    assert oversized_body_is_refused_and_closed(port, "/login", b"x" * (70 * 1024), "/healthz")


def test_a_chunked_body_is_read_by_its_framing(port):
    body = b"user=a&password=b"
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    sock, answer = raw_request(port, f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401")  # a wrong login, understood as one
