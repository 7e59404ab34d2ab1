"""The HELP button: a citizen asks the community digital team for help.

Pure transitions (`press`, `acknowledge`, `expire`) over a frozen `HelpState`, and the
feature that wires them to the button, `cmd/help_ack`, timers and the HELP light.
Pure: standard library, edge.feature and edge.lights only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping

from .feature import ButtonPress, CommandOutcome, Emit, Feature, FeatureContext, Indicator, Now
from .lights import HELP_ANSWERED, HELP_WAITING

if TYPE_CHECKING:
    from .config import PanelConfig

log = logging.getLogger(__name__)
REPEAT_GUARD = 3.0  # seconds: a second press this soon is the same request, not a close


@dataclass(frozen=True)
class HelpState:
    request: int = 0  # number of the open request (0 = none open); counts up per boot
    opened: float = 0.0  # monotonic time it was opened
    acknowledged: bool = False
    total: int = 0


def press(state: HelpState, now: float) -> tuple[HelpState, list[Emit]]:
    """Open a request, or close the open one (a repeat within REPEAT_GUARD is ignored)."""
    if not state.request:
        n = state.total + 1
        return HelpState(n, now, False, n), [Emit("help.requested", {"request": n})]
    if now - state.opened < REPEAT_GUARD:
        return state, []
    return close(state, now, "press")


def acknowledge(state: HelpState, request: int | None) -> tuple[HelpState, list[Emit], str]:
    """Central answered: returns (state, actions, error keyword or "")."""
    if not state.request:
        return state, [], "no_open_request"
    if request is not None and request != state.request:
        return state, [], "stale_request"
    if state.acknowledged:
        return state, [], ""
    return replace(state, acknowledged=True), [Emit("help.acknowledged",
                                                    {"request": state.request})], ""


def close(state: HelpState, now: float, reason: str) -> tuple[HelpState, list[Emit]]:
    data = {"request": state.request, "reason": reason, "acknowledged": state.acknowledged,
            "open_s": round(max(0.0, now - state.opened))}
    return HelpState(total=state.total), [Emit("help.closed", data)]


def expire(state: HelpState, now: float, timeout: float) -> tuple[HelpState, list[Emit]]:
    if state.request and now - state.opened >= timeout:
        return close(state, now, "timeout")
    return state, []


class HelpFeature(Feature):
    """Its settings live in [panel]: the HELP button's pin enables it, help_timeout."""

    name = "help"
    commands = frozenset({"help_ack"})

    def __init__(self, cfg: PanelConfig, ctx: FeatureContext):
        self.ctx = ctx
        self.timeout = float(cfg.help_timeout)
        self.state = HelpState()

    def _apply(self, state: HelpState, actions: list[Emit]) -> None:
        self.state = state
        for action in actions:
            self.ctx.emit(action.type, dict(action.data))
            log.info("help: %s (request %d)", action.type, action.data["request"])

    def on_button(self, press_: ButtonPress, now: Now) -> bool | None:
        if press_.button != "help":
            return None
        self._apply(*press(self.state, now.mono))
        return True

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name != "help_ack":
            return None
        state, actions, error = acknowledge(self.state, args.get("request"))
        if error:
            return CommandOutcome(False, error)
        self._apply(state, actions)
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
