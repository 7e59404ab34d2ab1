"""A citizen fetches their own scan with its one-time pickup code; guessing codes is
bounded per address, over the whole LAN and per scan."""
from __future__ import annotations

import time

import pytest

from edge.scanning import pickup
from tests.scanning.test_web import HOUSE_PC, PHONE, code_of, fetch, scan_one

OPEN = {"guesses_per_minute": 60, "guesses_per_address": 60}  # budgets out of the way


def other_code(*codes: str) -> str:
    """A well-formed code that opens none of the given scans."""
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in codes)


def test_the_right_code_downloads_the_scan_exactly_once(agent):
    name = scan_one(agent)
    code = code_of(agent, name)
    status, body, headers = fetch(agent.web_port, "/pickup", {"code": code})
    assert status == 200 and body == (agent.output_dir / name).read_bytes()
    assert headers["Content-Type"] == "application/pdf"
    assert fetch(agent.web_port, "/pickup", {"code": code}, source="127.0.0.6")[0] == 403
    agent.pump(lambda: all(s.spent for s in agent.feature.store.scans()), what="code spent")


def test_a_spent_code_stays_spent_after_a_restart(agent_factory):
    first = agent_factory().start()
    first.wait_ready()
    name = scan_one(first)
    code = code_of(first, name)
    assert fetch(first.web_port, "/pickup", {"code": code})[0] == 200
    first.pump(lambda: all(s.spent for s in first.feature.store.scans()), what="code spent")
    first.stop()
    again = agent_factory(state_dir=first.state_dir).start()
    assert fetch(again.web_port, "/pickup", {"code": code})[0] == 403


def test_every_scan_gets_its_own_code(agent):
    names = [scan_one(agent) for _ in range(3)]
    codes = [code_of(agent, n) for n in names]
    assert len(set(codes)) == 3 and all(pickup.read_code(c) == c for c in codes)
    assert fetch(agent.web_port, "/pickup", {"code": f"{codes[1][:3]} {codes[1][3:]}"})[1] == \
        (agent.output_dir / names[1]).read_bytes()  # typed with a space, as it is shown


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", ""])
def test_a_code_that_is_not_six_digits_is_refused_without_counting_as_a_guess(agent, typed):
    status, body, _ = fetch(agent.web_port, "/pickup", {"code": typed})
    assert status == 400 and "Mã gồm 6 chữ số." in body.decode()
    assert agent.feature.web._guesses.overall == ()


def test_wrong_codes_from_one_address_are_limited_per_address(agent):
    name = scan_one(agent)
    code = code_of(agent, name)
    wrong = other_code(code)
    statuses = [fetch(agent.web_port, "/pickup", {"code": wrong})[0] for _ in range(4)]
    assert statuses == [403, 403, 403, 429]
    status, body, headers = fetch(agent.web_port, "/pickup", {"code": code})  # even the right one
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 60 and b"%PDF" not in body
    assert fetch(agent.web_port, "/pickup", {"code": code}, source="127.0.0.9")[0] == 200


def test_wrong_codes_from_a_whole_subnet_share_one_budget_per_minute(agent):
    """A /24 of addresses, two guesses each: only 6 guesses a minute are tried at all."""
    name = scan_one(agent)
    code = code_of(agent, name)
    wrong = other_code(code)
    statuses = [fetch(agent.web_port, "/pickup", {"code": wrong}, source=f"127.0.1.{i}")[0]
                for i in range(1, 255) for _ in range(2)]
    assert statuses.count(403) == 6 and statuses.count(429) == len(statuses) - 6
    assert fetch(agent.web_port, "/pickup", {"code": code}, source="127.0.2.1")[0] == 429
    web = agent.feature.web
    web.clock = lambda: time.monotonic() + 61  # a minute on, the budget has room again
    assert fetch(agent.web_port, "/pickup", {"code": code}, source="127.0.2.1")[0] == 200


def test_a_code_stops_working_after_too_many_wrong_guesses_at_any_code(agent_factory):
    agent = agent_factory({"web": {**OPEN, "guesses_per_scan": 10,
                                   "staff_addresses": [HOUSE_PC]}}).start()
    agent.wait_ready()
    name = scan_one(agent)
    code = code_of(agent, name)
    wrong = other_code(code)
    assert [fetch(agent.web_port, "/pickup", {"code": wrong})[0] for _ in range(10)] == [403] * 10
    assert fetch(agent.web_port, "/pickup", {"code": code}, source="127.0.0.8")[0] == 403
    agent.pump(lambda: agent.feature.store.scans()[0].wrong == 10, what="guesses on record")
    page = fetch(agent.web_port, "/", source=HOUSE_PC)[1].decode()
    assert "Mã đã bị khóa" in page and f"{code[:3]} {code[3:]}" not in page
    assert fetch(agent.web_port, f"/files/{name}", source=HOUSE_PC)[0] == 200  # staff still can


def test_guesses_on_record_survive_a_restart(agent_factory):
    first = agent_factory({"web": {**OPEN, "guesses_per_scan": 10}}).start()
    first.wait_ready()
    name = scan_one(first)
    code = code_of(first, name)
    for _ in range(10):
        fetch(first.web_port, "/pickup", {"code": other_code(code)})
    first.pump(lambda: first.feature.store.scans()[0].wrong == 10, what="guesses on record")
    first.stop()
    again = agent_factory({"web": {**OPEN, "guesses_per_scan": 10}},
                          state_dir=first.state_dir).start()
    assert fetch(again.web_port, "/pickup", {"code": code})[0] == 403


def test_a_house_pc_address_sees_the_code_a_phone_then_uses(agent_factory):
    agent = agent_factory({"web": {"staff_addresses": [HOUSE_PC]}}).start()
    agent.wait_ready()
    name = scan_one(agent)
    page = fetch(agent.web_port, "/?lang=en", source=HOUSE_PC)[1].decode()
    shown = page.split('class="code">')[1].split("<")[0]
    assert pickup.read_code(shown) == code_of(agent, name)
    assert fetch(agent.web_port, "/pickup", {"code": shown}, source=PHONE)[0] == 200
    page = fetch(agent.web_port, "/?lang=en", source=HOUSE_PC)[1].decode()
    assert "Picked up" in page and 'class="code"' not in page


def test_a_dropped_scan_leaves_no_code_behind(agent):
    agent.press("scan")
    agent.pump(lambda: agent.feature.state.session is not None and
               agent.feature.state.session.built_pages == 1, what="first page built")
    assert [s.code for s in agent.feature.store.scans()] == [""]  # on record, no code yet
    agent.feature.on_command("scan_cancel", {}, agent.now())
    agent.pump(lambda: not agent.pdfs(), what="the dropped scan deleted")
    assert agent.feature.store.scans() == []
