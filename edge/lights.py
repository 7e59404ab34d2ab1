"""The panel's policy: which pattern each light shows, from the features' indicators, when
the buzzer sounds, and which spoken prompt (a `Say`) answers a press, a state or an event.
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
# A state that appears is spoken only while someone is at the panel: within this many
# seconds of the last press (a jam at night must not talk to an empty room).
ATTENDED_FOR = 300.0
# Spoken prompts (catalogue keys, common/locales) for the causes an indicator shows.
CAUSE_PROMPTS = {
    "paper_out": "voice.paper_out", "jam": "voice.jam", "cover_open": "voice.cover_open",
    "toner_out": "voice.toner_out", "printer_offline": "voice.printer_offline",
    "printer_fault": "voice.printer_fault", "scanner_missing": "voice.scanner_missing",
    "scanner_cover_open": "voice.scanner_cover_open",
    "scanner_no_docs": "voice.scanner_no_docs", "scanner_busy": "voice.scanner_busy",
    "scanner_fault": "voice.scanner_fault", "turn_card": "voice.turn_card",
    "next_page": "voice.next_page", "job_kept": "voice.job_kept_ready",
    "printing": "voice.printing",
}
# Why a press was refused (besides the causes above) and what the panel says to it.
REFUSAL_PROMPTS = {"no_job": "voice.nothing_to_print", "busy": "voice.busy"}
# Events that speak when they are queued.
EVENT_PROMPTS = {"help.requested": "voice.help_sent", "help.acknowledged": "voice.help_answered",
                 "print.job_kept": "voice.job_kept"}


@dataclass(frozen=True)
class Say:
    """A spoken prompt: its catalogue key and the numbers or codes it names."""

    key: str
    params: tuple[tuple[str, str | int], ...] = ()

    @property
    def values(self) -> dict:
        return dict(self.params)


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
    """What the panel shows after a tick: the lights, the causes on show (beeped or spoken
    already), a beep ("" for none) and a prompt to speak (None for none)."""

    lights: LightPlan
    prompts: frozenset[str] = frozenset()
    beep: str = ""
    say: Say | None = None


def _cause_say(indicator: Indicator) -> Say:
    if indicator.cause == "printing":
        return Say(CAUSE_PROMPTS["printing"], (("pages", indicator.count),))
    return Say(CAUSE_PROMPTS[indicator.cause])


def plan_panel(indicators: Sequence[Indicator], prompts_before: frozenset[str],
               attended: bool = False) -> PanelPlan:
    """The lights for these indicators; a prompt that was not on show before beeps once;
    the most urgent cause that appeared since is spoken while someone is `attended`.

    "printing" counts as on show only once its page count is known (then it is spoken).
    """
    beeping = frozenset(i.cause for i in indicators
                        if i.level == "prompt" and i.cause in BEEP_PROMPTS)
    spoken = [i for i in indicators if i.cause in CAUSE_PROMPTS
              and (i.cause != "printing" or i.count > 0)]
    new = sorted((i for i in spoken if i.cause not in prompts_before),
                 key=lambda i: (i.level != "attention", _rank(i.cause)))
    say = _cause_say(new[0]) if new and attended else None
    return PanelPlan(choose_lights(indicators), beeping | {i.cause for i in spoken},
                     "prompt" if beeping - prompts_before else "", say)


def press_beep(button: str, outcome: bool | None) -> str:
    """The buzzer's answer to a press: accepted, refused (or nobody's), or HELP taken."""
    if not outcome:
        return "refuse"
    return "help" if button == "help" else "accept"


def press_say(button: str, outcome: bool | None, refusal: str = "") -> Say | None:
    """The spoken answer to a press: accepted, or why not (HELP speaks through its events)."""
    if outcome is None or button == "help":
        return None
    if outcome:
        return Say("voice.accepted")
    key = CAUSE_PROMPTS.get(refusal) or REFUSAL_PROMPTS.get(refusal, "voice.refused")
    return Say(key) if refusal != "printing" else Say("voice.busy")


def event_say(event_type: str) -> Say | None:
    """The prompt an event speaks when it is queued (HELP sent and answered, a kept job)."""
    key = EVENT_PROMPTS.get(event_type)
    return Say(key) if key else None


def pickup_say(code: str) -> Say:
    """A finished scan, with the code that fetches it from the scan page ("" for none)."""
    return Say("voice.scan_ready_code", (("code", code),)) if code else Say("voice.scan_ready")


def broker_indicator(down_since: float | None, mono: float) -> Indicator:
    """Attention once the broker has been unreachable for BROKER_DOWN_AFTER seconds."""
    if down_since is not None and mono - down_since > BROKER_DOWN_AFTER:
        return Indicator("attention", "broker_down")
    return Indicator()
