"""Routing by ownership: a command goes to its owner in the vocabulary, an item to the
feature that declared its type; nothing is offered to every feature in turn."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

import protocol
from common.settings import load_table
from edge.agent import Agent, now
from edge.commands import CommandBook
from edge.config import BUTTONS, EdgeConfig
from edge.feature import CommandOutcome, Feature, Features, Now, item_owner
from protocol.vocabulary import COMMANDS

NOW = Now(1_764_000_000.0, 100.0)


class Greedy(Feature):
    """Answers every command and takes every item it is handed: a router that offered
    things to all features would show up in `got`."""

    def __init__(self, name, items=(), rescanned=None):
        self.name, self.items, self.rescanned = name, items, rescanned
        self.got: list = []

    def on_command(self, name, args, now):
        self.got.append((name, dict(args)))
        return CommandOutcome(True, {"by": self.name})

    def handle(self, item, now):
        self.got.append(item)
        return True

    def rescan(self, now):
        self.got.append("rescan")
        return self.rescanned


def send(name, features=(), req_id="r1", **args) -> protocol.CommandResult:
    payload = protocol.build_command(protocol.Command(name, req_id, 0, args))
    return CommandBook().handle(name, payload, NOW, Features(features), lambda _item: None,
                                lambda: {})


def test_a_command_goes_to_its_owner_only():
    scanning, wifi = Greedy("scanning"), Greedy("wifi")
    result = send("scan_status", [wifi, scanning])
    assert result.ok and result.detail == {"by": "scanning"}
    assert scanning.got == [("scan_status", {})] and wifi.got == []


def test_a_command_whose_owner_is_not_enabled_is_not_available():
    wifi = Greedy("wifi")
    assert send("release_job", [wifi], job=12).detail == {"error": "not_available"}
    assert wifi.got == []


def test_a_name_outside_the_vocabulary_is_an_unknown_command():
    assert send("scan_rescan", [Greedy("scanning")]).detail == {"error": "unknown_command"}


@pytest.mark.parametrize("name, args, problem", [
    ("help_ack", {"request": "x"}, "request: expected an integer"),
    ("release_job", {}, "job: required"),
    ("cancel_job", {"job": 0}, "job: out of range"),
    ("scan_status", {"verbose": True}, "verbose: not an argument of scan_status"),
    ("resend", {"from": 9, "to": 3}, "to: must not be below from"),
])
def test_bad_arguments_are_refused_with_every_problem_before_any_feature_sees_them(
        name, args, problem):
    owner = Greedy(COMMANDS[name].owner)
    result = send(name, [owner], **args)
    assert not result.ok and result.detail["error"] == "bad_args"
    assert any(p.startswith(problem) for p in result.detail["problems"]), result.detail
    assert owner.got == []


def test_rescan_devices_asks_every_feature_and_answers_for_those_with_a_device():
    scanning = Greedy("scanning", rescanned="searching")
    printing = Greedy("printing", rescanned={"state": "idle"})
    helpf = Greedy("help")
    result = send("rescan_devices", [printing, scanning, helpf])
    assert result.ok
    assert result.detail == {"printing": {"state": "idle"}, "scanning": "searching"}
    assert [f.got for f in (printing, scanning, helpf)] == [["rescan"]] * 3


def test_rescan_devices_with_no_devices_answers_empty():
    assert send("rescan_devices", []).detail == {}


def test_every_panel_button_can_be_pressed_remotely():
    assert COMMANDS["press"].args["button"].choices == BUTTONS


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Pong:
    n: int


def test_an_item_belongs_to_the_feature_that_declared_its_type():
    ping, pong = Greedy("wifi", items=(Ping,)), Greedy("scanning", items=(Pong,))
    assert item_owner([ping, pong], Pong(1)) is pong
    assert item_owner([ping, pong], Ping(1)) is ping
    assert item_owner([ping, pong], object()) is None


@pytest.fixture
def agent(tmp_path):
    cfg = load_table(EdgeConfig, {"house": {"id": "house-01"},
                                  "storage": {"state_dir": str(tmp_path / "state")}})
    a = Agent(cfg)
    yield a
    a.outbox.close()


def test_the_agent_hands_an_item_to_its_declarer_alone(agent):
    ping, pong = Greedy("wifi", items=(Ping,)), Greedy("scanning", items=(Pong,))
    agent.features = Features([ping, pong])
    agent._dispatch(Pong(7), now())
    agent._dispatch(object(), now())  # nobody's: dropped, not offered around
    assert pong.got == [Pong(7)] and ping.got == []
