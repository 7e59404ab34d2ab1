"""Status lights: every cause a feature can raise has its own red pattern."""
from edge.feature import Indicator
from edge.lights import ATTENTION_ORDER, ATTENTION_PATTERNS, choose_lights
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
