"""The HELP button: request, acknowledgement from central, closing."""
import pytest

from edge.config import PanelConfig
from edge.feature import ButtonPress, FeatureContext, Indicator, Now
from edge.help import HelpFeature
from edge.lights import choose_lights


@pytest.fixture
def helpf(tmp_path):
    events = []
    f = HelpFeature(PanelConfig(help_button=27, help_timeout=600),
                    FeatureContext("house-01", tmp_path, lambda _i: None,
                                   lambda t, d: events.append((t, dict(d)))))
    f.events = events
    return f


def at(mono):
    return Now(1_800_000_000 + mono, mono)


def test_a_help_press_publishes_a_request_and_blinks_the_help_light(helpf):
    assert helpf.on_button(ButtonPress("help", 0.2), at(0)) is True
    assert helpf.events == [("help.requested", {"request": 1})]
    assert choose_lights([helpf.indicator(at(1))]).help[0] == "blink"


def test_other_buttons_are_not_the_help_features(helpf):
    assert helpf.on_button(ButtonPress("print", 0.2), at(0)) is None


def test_an_acknowledgement_turns_the_help_light_steady(helpf):
    helpf.on_button(ButtonPress("help", 0.2), at(0))
    outcome = helpf.on_command("help_ack", {}, at(5))
    assert outcome.ok and outcome.detail == {"request": 1}
    assert choose_lights([helpf.indicator(at(6))]).help == ("on",)
    assert helpf.events[-1] == ("help.acknowledged", {"request": 1})


def test_an_acknowledgement_without_an_open_request_is_refused(helpf):
    outcome = helpf.on_command("help_ack", {}, at(0))
    assert not outcome.ok and outcome.detail == "no_open_request"


def test_an_acknowledgement_for_an_older_request_is_refused(helpf):
    helpf.on_button(ButtonPress("help", 0.2), at(0))
    assert helpf.on_command("help_ack", {"request": 7}, at(1)).detail == "stale_request"


def test_a_second_press_closes_the_request(helpf):
    helpf.on_button(ButtonPress("help", 0.2), at(0))
    helpf.on_command("help_ack", {}, at(5))
    helpf.on_button(ButtonPress("help", 0.2), at(60))
    assert helpf.events[-1] == ("help.closed", {"request": 1, "reason": "press",
                                                "acknowledged": True, "open_s": 60})
    assert helpf.indicator(at(61)) == Indicator()


def test_a_quick_repeat_press_is_the_same_request(helpf):
    helpf.on_button(ButtonPress("help", 0.2), at(0))
    helpf.on_button(ButtonPress("help", 0.2), at(1))
    assert [t for t, _ in helpf.events] == ["help.requested"]


def test_an_open_request_closes_after_the_timeout(helpf):
    helpf.on_button(ButtonPress("help", 0.2), at(0))
    helpf.tick(at(599))
    assert helpf.metrics(at(599))["help.open"] == 1
    helpf.tick(at(600))
    assert helpf.events[-1][0] == "help.closed" and helpf.events[-1][1]["reason"] == "timeout"
    assert helpf.metrics(at(601)) == {"help.open": 0, "help.requests.total": 1}
