"""The scan page cannot be exhausted: idle and slow connections hold no thread and time
out, and a body over the limit gets 413 and a closed connection."""
from __future__ import annotations

import threading
import time

import pytest

from tests.webprobe import closed_within, open_idle, raw_request, timed_get


@pytest.fixture
def port(agent_factory):
    return agent_factory({"web": {"idle_timeout": "2s"}}).start().web_port


def test_three_hundred_idle_connections_leave_the_page_answering_and_hold_no_thread(port):
    threads_before = threading.active_count()
    idle = open_idle(port, 300)
    try:
        time.sleep(0.5)
        # A thread each would pass the unit's TasksMax=128 and take the agent down.
        assert threading.active_count() - threads_before < 10
        status, seconds = timed_get(port, "/")
        assert status == 200 and seconds < 2
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(port):
    (sock,) = open_idle(port, 1)
    assert closed_within(sock, 10)


def test_a_post_that_announces_a_body_and_sends_none_is_closed_after_the_idle_timeout(port):
    sock, answer = raw_request(port, f"POST /pickup HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                     "Content-Length: 100\r\n\r\n".encode(), timeout=1)
    assert answer == b"" and closed_within(sock, 10)


def test_a_body_over_four_kib_gets_413_and_the_connection_is_closed(port):
    body = b"code=" + b"1" * 5000
    head = (f"POST /pickup HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock, answer = raw_request(port, head + body + b"GET / HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413") and closed_within(sock, 5)
