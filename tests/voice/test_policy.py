"""Which prompt the panel speaks for a press, a state and an event (edge/lights.py)."""
import pytest

from common.i18n import catalogue
from edge.feature import Indicator
from edge.lights import (ATTENTION_PATTERNS, CAUSE_PROMPTS, EVENT_PROMPTS, REFUSAL_PROMPTS, Say,
                         event_say, pickup_say, plan_panel, press_say)
from edge.voice.config import VoiceConfig, is_quiet, parse_quiet_hours
from edge.voice.script import number_words, pieces, recorded_pieces

VI = catalogue("vi")


def spoken(keys):
    return " ".join(VI["voice." + k] for k in keys)


def test_every_red_light_cause_has_a_spoken_prompt():
    assert set(ATTENTION_PATTERNS) - {"broker_down"} <= set(CAUSE_PROMPTS)


def test_every_prompt_the_policy_names_is_in_both_catalogues():
    keys = {*CAUSE_PROMPTS.values(), *REFUSAL_PROMPTS.values(), *EVENT_PROMPTS.values(),
            "voice.accepted", "voice.refused", "voice.scan_ready", "voice.scan_ready_code"}
    assert keys <= set(catalogue("vi")) and keys <= set(catalogue("en"))


@pytest.mark.parametrize("button, outcome, refusal, key", [
    ("print", True, "", "voice.accepted"), ("scan", True, "", "voice.accepted"),
    ("print", False, "no_job", "voice.nothing_to_print"),
    ("print", False, "paper_out", "voice.paper_out"), ("print", False, "jam", "voice.jam"),
    ("print", False, "printer_offline", "voice.printer_offline"),
    ("scan", False, "scanner_missing", "voice.scanner_missing"),
    ("print", False, "busy", "voice.busy"), ("copy", False, "", "voice.refused")])
def test_a_press_is_answered_by_a_prompt(button, outcome, refusal, key):
    assert press_say(button, outcome, refusal) == Say(key)


def test_help_and_a_button_nobody_owns_say_nothing_on_the_press():
    assert press_say("help", True) is None and press_say("scan", None) is None


@pytest.mark.parametrize("event, key", [("help.requested", "voice.help_sent"),
                                        ("help.acknowledged", "voice.help_answered"),
                                        ("print.job_kept", "voice.job_kept")])
def test_events_a_citizen_waits_for_are_spoken(event, key):
    assert event_say(event) == Say(key)


def test_a_scan_ready_names_its_pickup_code_when_there_is_one():
    assert pickup_say("042917") == Say("voice.scan_ready_code", (("code", "042917"),))
    assert pickup_say("") == Say("voice.scan_ready")


def test_a_new_fault_is_spoken_once_while_someone_is_at_the_panel():
    jam = [Indicator("attention", "jam")]
    first = plan_panel(jam, frozenset(), attended=True)
    assert first.say == Say("voice.jam")
    assert plan_panel(jam, first.prompts, attended=True).say is None


def test_a_fault_with_nobody_at_the_panel_stays_silent_and_is_not_said_later():
    quiet = plan_panel([Indicator("attention", "paper_out")], frozenset(), attended=False)
    assert quiet.say is None
    assert plan_panel([Indicator("attention", "paper_out")], quiet.prompts, True).say is None


def test_the_most_urgent_new_cause_is_the_one_spoken():
    plan = plan_panel([Indicator("attention", "printer_offline"), Indicator("attention", "jam"),
                       Indicator("prompt", "turn_card")], frozenset(), attended=True)
    assert plan.say == Say("voice.jam")


def test_printing_is_spoken_with_its_page_count_once_the_count_is_known():
    unknown = plan_panel([Indicator("busy", "printing", 0)], frozenset(), attended=True)
    assert unknown.say is None and "printing" not in unknown.prompts
    known = plan_panel([Indicator("busy", "printing", 3)], unknown.prompts, attended=True)
    assert known.say == Say("voice.printing", (("pages", 3),))
    assert plan_panel([Indicator("busy", "printing", 4)], known.prompts, True).say is None


def test_turning_the_id_card_over_is_spoken_and_beeped():
    plan = plan_panel([Indicator("prompt", "turn_card")], frozenset(), attended=True)
    assert plan.say == Say("voice.turn_card") and plan.beep == "prompt"


@pytest.mark.parametrize("n, words", [
    (0, "không"), (5, "năm"), (10, "mười"), (15, "mười lăm"), (21, "hai mươi mốt"),
    (25, "hai mươi lăm"), (11, "mười một"), (40, "bốn mươi"),
    (105, "một trăm linh năm"),
    (250, "hai trăm năm mươi"), (2005, "hai nghìn không trăm linh năm"),
    (1234, "một nghìn hai trăm ba mươi bốn")])
def test_numbers_are_composed_from_vietnamese_words(n, words):
    assert spoken(number_words(n, "vi")) == words


def test_numbers_without_words_fall_back_to_espeak():
    assert number_words(12345, "vi") is None and number_words(3, "en") is None
    assert [p.name for p in pieces("voice.printing", {"pages": 3}, "en", catalogue("en"))] == \
        ["printing.1", "", "printing.2"]


def test_a_page_count_is_said_between_the_prompts_own_words():
    parts = pieces("voice.printing", {"pages": 21}, "vi", VI)
    assert [p.name for p in parts] == ["printing.1", "digit.2", "word.tens",
                                       "word.one_after_tens", "printing.2"]
    assert " ".join(p.text for p in parts) == "Đang in hai mươi mốt trang."


def test_a_pickup_code_is_read_digit_by_digit():
    parts = pieces("voice.scan_ready_code", {"code": "042917"}, "vi", VI)
    assert [p.name for p in parts][1:] == ["digit.0", "digit.4", "digit.2", "digit.9",
                                           "digit.1", "digit.7"]


def test_every_recorded_piece_has_a_plain_file_name():
    names = [p.name for p in recorded_pieces(VI)]
    assert "paper_out" in names and "printing.1" in names and "digit.9" in names
    assert all(n.replace(".", "").replace("_", "").isalnum() for n in names)


@pytest.mark.parametrize("hours, minute, quiet", [
    ("21:30-06:00", 22 * 60, True), ("21:30-06:00", 5 * 60 + 59, True),
    ("21:30-06:00", 6 * 60, False), ("12:00-13:00", 12 * 60 + 30, True),
    ("12:00-13:00", 13 * 60, False)])
def test_quiet_hours_may_cross_midnight(hours, minute, quiet):
    assert is_quiet(parse_quiet_hours(hours), minute) is quiet


def test_bad_voice_settings_are_all_reported():
    cfg = VoiceConfig(volume=150, quiet_hours="late", device="bad device;rm", espeak_speed=10,
                      queue=0)
    problems = " ".join(cfg.problems())
    for key in ("volume", "quiet_hours", "device", "espeak_speed", "queue"):
        assert key in problems
