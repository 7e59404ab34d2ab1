"""The panel's policy: a red pattern for every cause, and when the buzzer sounds."""
import pytest

from edge.feature import Indicator
from edge.lights import (ATTENTION_ORDER, ATTENTION_PATTERNS, BROKER_DOWN_AFTER, ON,
                         broker_indicator, choose_lights, plan_panel, press_beep)
from edge.scanning.faults import FAULT_CAUSE


def test_each_attention_cause_has_a_pattern_of_its_own():
    patterns = list(ATTENTION_PATTERNS.values())
    assert len(set(patterns)) == len(patterns)


def test_every_scanner_fault_cause_has_a_red_pattern():
    for cause in [*FAULT_CAUSE.values(), "scanner_fault"]:
        assert cause in ATTENTION_PATTERNS, cause
        assert choose_lights([Indicator("attention", cause)]).red == ATTENTION_PATTERNS[cause]


def test_every_patterned_cause_has_a_rank():
    assert set(ATTENTION_PATTERNS) <= set(ATTENTION_ORDER)


def test_a_cause_the_citizen_can_fix_is_shown_before_a_technicians_one():
    plan = choose_lights([Indicator("attention", "scanner_missing"),
                          Indicator("attention", "scanner_cover_open")])
    assert plan.red == ATTENTION_PATTERNS["scanner_cover_open"]


def test_a_new_prompt_beeps_once_and_a_standing_one_stays_quiet():
    turn = [Indicator("prompt", "turn_card")]
    first = plan_panel(turn, frozenset())
    assert first.beep == "prompt" and first.lights.amber == ON
    assert plan_panel(turn, first.prompts).beep == ""
    assert plan_panel([Indicator()], first.prompts).prompts == frozenset()


def test_a_waiting_job_is_a_prompt_without_a_beep():
    assert plan_panel([Indicator("prompt", "job_waiting")], frozenset()).beep == ""


@pytest.mark.parametrize("button, outcome, beep", [
    ("print", True, "accept"), ("print", False, "refuse"), ("scan", None, "refuse"),
    ("help", True, "help"), ("help", None, "refuse")])
def test_a_press_is_answered_by_the_buzzer(button, outcome, beep):
    assert press_beep(button, outcome) == beep


def test_the_red_light_waits_before_calling_the_broker_down():
    assert broker_indicator(None, 1000.0) == Indicator()
    assert broker_indicator(0.0, BROKER_DOWN_AFTER) == Indicator()
    assert broker_indicator(0.0, BROKER_DOWN_AFTER + 1) == Indicator("attention", "broker_down")
