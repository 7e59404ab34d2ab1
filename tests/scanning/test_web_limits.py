"""The scan page cannot be exhausted: idle and slow connections hold no thread and time
out, and a body over the limit gets 413 and a closed connection."""
from __future__ import annotations

import pytest

from tests.webprobe import (closed_within, idle_flood_answers, missing_body_is_closed, open_idle,
                            oversized_body_is_refused_and_closed)


@pytest.fixture
def port(agent_factory):
    return agent_factory({"web": {"idle_timeout": "2s"}}).start().web_port


def test_three_hundred_idle_connections_leave_the_page_answering_and_hold_no_thread(port):
    assert idle_flood_answers(port, ("/",)) == []


def test_an_idle_connection_is_closed_after_the_idle_timeout(port):
    (sock,) = open_idle(port, 1)
    assert closed_within(sock, 10)


def test_a_post_that_announces_a_body_and_sends_none_is_closed_after_the_idle_timeout(port):
    assert missing_body_is_closed(port, "/pickup")


def test_a_body_over_four_kib_gets_413_and_the_connection_is_closed(port):
    assert oversized_body_is_refused_and_closed(port, "/pickup", b"code=" + b"1" * 5000, "/")
