"""The HELP button: a citizen asks the community digital team for help.

Pure transitions (`press`, `acknowledge`, `expire`) over a frozen `HelpState`, and the
feature that wires them to the button, `cmd/help_ack`, timers and the HELP light.
Pure: standard library, edge.feature and edge.lights only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Mapping

from .feature import ButtonPress, CommandOutcome, Feature, FeatureContext, Indicator, Now
from .lights import HELP_ANSWERED, HELP_WAITING

log = logging.getLogger(__name__)
REPEAT_GUARD = 3.0  # seconds: a second press this soon is the same request, not a close


@dataclass(frozen=True)
class HelpState:
    request: int = 0  # number of the open request (0 = none open); counts up per boot
    opened: float = 0.0  # monotonic time it was opened
    acknowledged: bool = False
    total: int = 0


Event = tuple[str, dict]


def press(state: HelpState, now: float) -> tuple[HelpState, list[Event]]:
    """Open a request, or close the open one (a repeat within REPEAT_GUARD is ignored)."""
    if not state.request:
        n = state.total + 1
        return HelpState(n, now, False, n), [("help.requested", {"request": n})]
    if now - state.opened < REPEAT_GUARD:
        return state, []
    return close(state, now, "press")


def acknowledge(state: HelpState, request: int | None) -> tuple[HelpState, list[Event], str]:
    """Central answered: returns (state, events, error keyword or "")."""
    if not state.request:
        return state, [], "no_open_request"
    if request is not None and request != state.request:
        return state, [], "stale_request"
    if state.acknowledged:
        return state, [], ""
    return replace(state, acknowledged=True), [("help.acknowledged",
                                                 {"request": state.request})], ""


def close(state: HelpState, now: float, reason: str) -> tuple[HelpState, list[Event]]:
    data = {"request": state.request, "reason": reason, "acknowledged": state.acknowledged,
            "open_s": round(max(0.0, now - state.opened))}
    return HelpState(total=state.total), [("help.closed", data)]


def expire(state: HelpState, now: float, timeout: float) -> tuple[HelpState, list[Event]]:
    if state.request and now - state.opened >= timeout:
        return close(state, now, "timeout")
    return state, []


class HelpFeature(Feature):
    name = "help"

    def __init__(self, ctx: FeatureContext, timeout: float = 1800.0):
        self.ctx = ctx
        self.timeout = timeout
        self.state = HelpState()

    def _apply(self, state: HelpState, events: list[Event]) -> None:
        self.state = state
        for etype, data in events:
            self.ctx.emit(etype, data)
            log.info("help: %s (request %d)", etype, data["request"])

    def on_button(self, press_: ButtonPress, now: Now) -> bool | None:
        if press_.button != "help":
            return None
        self._apply(*press(self.state, now.mono))
        return True

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name != "help_ack":
            return None
        wanted = args.get("request")
        if wanted is not None and (isinstance(wanted, bool) or not isinstance(wanted, int)):
            return CommandOutcome(False, "request: expected an integer")
        state, events, error = acknowledge(self.state, wanted)
        if error:
            return CommandOutcome(False, error)
        self._apply(state, events)
        return CommandOutcome(True, {"request": state.request})

    def tick(self, now: Now) -> None:
        self._apply(*expire(self.state, now.mono, self.timeout))

    def metrics(self, now: Now) -> Mapping[str, Any]:
        return {"help.open": 1 if self.state.request else 0,
                "help.requests.total": self.state.total}

    def indicator(self, now: Now) -> Indicator:
        if not self.state.request:
            return Indicator()
        return Indicator("ok", HELP_ANSWERED if self.state.acknowledged else HELP_WAITING)


def build(cfg, ctx: FeatureContext) -> HelpFeature:
    """Factory the agent calls with the whole EdgeConfig (enable it when help_button > 0)."""
    return HelpFeature(ctx, timeout=cfg.panel.help_timeout)
