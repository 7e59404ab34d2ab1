"""The panel's policy: which pattern each light shows, from the features' indicators, and
when the buzzer sounds.
Pure: standard library and edge.feature only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .feature import Indicator

# A light is off, on, or blinking with (on seconds, off seconds); a pattern per cause
# lets a technician tell paper-out from a jam at a glance.
OFF = ("off",)
ON = ("on",)
BLINK_WORKING = ("blink", 0.5, 0.5)
ATTENTION_PATTERNS = {
    "paper_out": ("blink", 1.0, 1.0),
    "jam": ("blink", 0.2, 0.2),
    "cover_open": ("blink", 0.6, 0.3),
    "toner_out": ("blink", 1.0, 0.3),
    "printer_offline": ("blink", 0.2, 1.8),
    "scanner_cover_open": ("blink", 0.3, 0.9),
    "scanner_no_docs": ("blink", 1.0, 2.0),
    "scanner_busy": ("blink", 0.1, 0.9),
    "scanner_missing": ("blink", 2.0, 1.0),
    "scanner_fault": ("blink", 1.5, 0.5),
    "broker_down": ("blink", 0.1, 2.9),
}
DEFAULT_ATTENTION = ON
# The citizen can see to the first causes, a technician to the later ones: show the first.
ATTENTION_ORDER = ("jam", "paper_out", "cover_open", "scanner_cover_open", "scanner_no_docs",
                   "toner_out", "printer_offline", "printer_fault", "scanner_busy",
                   "scanner_missing", "scanner_fault", "broker_down")
# Prompts that ask the citizen to do something now also beep once when they appear.
BEEP_PROMPTS = ("turn_card", "next_page")
# Causes that leave the printer and scanner usable: green stays on beside the red.
STILL_READY = ("broker_down",)
HELP_WAITING = "help_waiting"  # HELP pressed, nobody has answered yet
HELP_ANSWERED = "help_acknowledged"  # central acknowledged; someone is coming
HELP_PATTERNS = {HELP_WAITING: ("blink", 0.5, 0.5), HELP_ANSWERED: ON}
BROKER_DOWN_AFTER = 120.0  # seconds offline before the red light says so


@dataclass(frozen=True)
class LightPlan:
    green: tuple = OFF
    amber: tuple = OFF
    red: tuple = OFF
    help: tuple = OFF


def _rank(cause: str) -> int:
    return ATTENTION_ORDER.index(cause) if cause in ATTENTION_ORDER else len(ATTENTION_ORDER)


def choose_lights(indicators: Sequence[Indicator]) -> LightPlan:
    """Red for the most urgent cause, amber while busy or prompting, green when ready.

    Busy blinks amber; a prompt (a held job waiting, turn the card over) holds it steady.
    Help indicators drive only the separate HELP light.
    """
    helps = [i.cause for i in indicators if i.cause in HELP_PATTERNS]
    help_light = HELP_PATTERNS[HELP_WAITING] if HELP_WAITING in helps else \
        HELP_PATTERNS[HELP_ANSWERED] if helps else OFF
    status = [i for i in indicators if i.cause not in HELP_PATTERNS]
    attention = sorted((i for i in status if i.level == "attention"), key=lambda i: _rank(i.cause))
    amber = BLINK_WORKING if any(i.level == "busy" for i in status) else \
        ON if any(i.level == "prompt" for i in status) else OFF
    if attention:
        cause = attention[0].cause
        ready = all(i.cause in STILL_READY for i in attention)
        return LightPlan(green=ON if ready else OFF, amber=amber,
                         red=ATTENTION_PATTERNS.get(cause, DEFAULT_ATTENTION), help=help_light)
    return LightPlan(green=ON, amber=amber, help=help_light)


@dataclass(frozen=True)
class PanelPlan:
    """What the panel shows after a tick: the lights, the prompts on show, and a beep
    ("" for none)."""

    lights: LightPlan
    prompts: frozenset[str] = frozenset()
    beep: str = ""


def plan_panel(indicators: Sequence[Indicator], prompts_before: frozenset[str]) -> PanelPlan:
    """The lights for these indicators; a prompt that was not on show before beeps once."""
    prompts = frozenset(i.cause for i in indicators
                        if i.level == "prompt" and i.cause in BEEP_PROMPTS)
    return PanelPlan(choose_lights(indicators), prompts,
                     "prompt" if prompts - prompts_before else "")


def press_beep(button: str, outcome: bool | None) -> str:
    """The buzzer's answer to a press: accepted, refused (or nobody's), or HELP taken."""
    if not outcome:
        return "refuse"
    return "help" if button == "help" else "accept"


def broker_indicator(down_since: float | None, mono: float) -> Indicator:
    """Attention once the broker has been unreachable for BROKER_DOWN_AFTER seconds."""
    if down_since is not None and mono - down_since > BROKER_DOWN_AFTER:
        return Indicator("attention", "broker_down")
    return Indicator()
