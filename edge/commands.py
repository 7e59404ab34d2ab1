"""Remote commands from central: parse, drop duplicates and expired ones, route, answer.

Every command gets exactly one result on cmd_result, unknown or malformed ones included.
The agent's own commands (ping, press, resend) are answered here; the features' own
(help_ack, release_job, cancel_job, rescan_devices) are routed to them.
Pure: standard library, protocol and edge.feature only.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Callable, Mapping, Sequence

import protocol
from .feature import ButtonPress, Feature, Now

log = logging.getLogger(__name__)
BUTTONS = ("print", "scan", "copy", "help")
AGENT_COMMANDS = ("ping", "press", "resend")
FEATURE_COMMANDS = ("help_ack", "release_job", "cancel_job", "rescan_devices")
MAX_RESEND_SPAN = 1_000_000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(cmd: protocol.Command, expected: str) -> protocol.CommandResult:
    return protocol.CommandResult(cmd.req_id, cmd.name, False,
                                  {"error": "bad_args", "expected": expected})


def check_press(args: Mapping[str, Any]) -> tuple[str, float] | None:
    """(button, seconds held) of a valid `press`, else None."""
    button, seconds = args.get("button"), args.get("seconds", 0.1)
    if button not in BUTTONS or isinstance(seconds, bool) \
            or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 30:
        return None
    return button, float(seconds)


def check_resend(args: Mapping[str, Any]) -> tuple[int, int] | None:
    """(from, to) of a valid `resend`, else None."""
    first, last = args.get("from"), args.get("to")
    if not (_is_int(first) and _is_int(last)) or not 1 <= first <= last \
            or last - first > MAX_RESEND_SPAN:
        return None
    return first, last


class CommandBook:
    def __init__(self, remember: int = 1000):
        self.seen: OrderedDict[str, protocol.CommandResult] = OrderedDict()
        self.remember = remember

    def handle(self, name: str, payload: bytes, at: Now, features: Sequence[Feature],
               post: Callable[[object], None], status: Callable[[], dict],
               resend: Callable[[int, int], dict] | None = None
               ) -> protocol.CommandResult | None:
        """The result to publish (a duplicate gets its first answer again, not a second action)."""
        try:
            cmd = protocol.parse_command(name, payload)
        except protocol.PayloadError as exc:
            return protocol.CommandResult("", name, False, {"error": exc.reason})
        if cmd.req_id in self.seen:
            return self.seen[cmd.req_id]
        if cmd.expires_at and cmd.expires_at < at.wall * 1000:
            result = protocol.CommandResult(cmd.req_id, name, False, {"error": "expired"})
        else:
            try:
                result = self._run(cmd, at, features, post, status, resend)
            except Exception:  # a feature's bug must still get an answer, and not kill us
                log.exception("command %s failed", name)
                result = protocol.CommandResult(cmd.req_id, name, False, {"error": "failed"})
        log.info("command %s (%s): %s", name, cmd.req_id[:12], "ok" if result.ok else "refused")
        self.seen[cmd.req_id] = result
        while len(self.seen) > self.remember:
            self.seen.popitem(last=False)
        return result

    def _run(self, cmd: protocol.Command, at: Now, features: Sequence[Feature],
             post: Callable[[object], None], status: Callable[[], dict],
             resend: Callable[[int, int], dict] | None) -> protocol.CommandResult:
        if cmd.name == "ping":
            return protocol.CommandResult(cmd.req_id, cmd.name, True, status())
        if cmd.name == "press":
            press = check_press(cmd.args)
            if press is None:
                return _bad(cmd, "button in print|scan|copy|help, seconds 0-30")
            # The same item the panel posts: one path for a real and a remote press.
            post(ButtonPress(press[0], press[1], source="command"))
            return protocol.CommandResult(cmd.req_id, cmd.name, True, {"queued": True})
        if cmd.name == "resend":
            span = check_resend(cmd.args)
            if span is None or resend is None:
                return _bad(cmd, "integers 1 <= from <= to")
            return protocol.CommandResult(cmd.req_id, cmd.name, True, resend(*span))
        for feature in features:
            outcome = feature.on_command(cmd.name, cmd.args, at)
            if outcome is not None:
                return protocol.CommandResult(cmd.req_id, cmd.name, outcome.ok, outcome.detail)
        error = "not_available" if cmd.name in FEATURE_COMMANDS else "unknown_command"
        return protocol.CommandResult(cmd.req_id, cmd.name, False, {"error": error})
