"""Remote commands from central: parse, drop duplicates and expired ones, route, answer.

Every command gets exactly one result on cmd_result, unknown or malformed ones included.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Callable, Sequence

from . import contract
from .feature import ButtonPress, Feature, Now

log = logging.getLogger(__name__)
BUTTONS = ("print", "scan", "copy", "help")


class CommandBook:
    def __init__(self, remember: int = 1000):
        self.seen: OrderedDict[str, contract.CommandResult] = OrderedDict()
        self.remember = remember

    def handle(self, name: str, payload: bytes, at: Now, features: Sequence[Feature],
               post: Callable[[object], None], status: Callable[[], dict]) -> contract.CommandResult | None:
        """The result to publish, or None for a duplicate we already answered (re-sent)."""
        try:
            cmd = contract.parse_command(name, payload)
        except contract.PayloadError as exc:
            return contract.CommandResult("", name, False, {"error": exc.reason})
        if cmd.req_id in self.seen:
            return self.seen[cmd.req_id]  # same answer again, no second action
        if cmd.expires_at and cmd.expires_at < at.wall * 1000:
            result = contract.CommandResult(cmd.req_id, name, False, {"error": "expired"})
        else:
            result = self._run(cmd, at, features, post, status)
        log.info("command %s (%s): %s", name, cmd.req_id[:12], "ok" if result.ok else "refused")
        self.seen[cmd.req_id] = result
        while len(self.seen) > self.remember:
            self.seen.popitem(last=False)
        return result

    def _run(self, cmd: contract.Command, at: Now, features: Sequence[Feature],
             post: Callable[[object], None], status: Callable[[], dict]) -> contract.CommandResult:
        if cmd.name == "ping":
            return contract.CommandResult(cmd.req_id, cmd.name, True, status())
        if cmd.name == "press":
            button = cmd.args.get("button")
            seconds = cmd.args.get("seconds", 0.1)
            if button not in BUTTONS or not isinstance(seconds, (int, float)) \
                    or isinstance(seconds, bool) or not 0 <= seconds <= 30:
                return contract.CommandResult(cmd.req_id, cmd.name, False,
                                              {"error": "bad_args",
                                               "expected": "button in print|scan|copy|help"})
            post(ButtonPress(button, float(seconds), source="command"))
            return contract.CommandResult(cmd.req_id, cmd.name, True, {"queued": True})
        for feature in features:
            outcome = feature.on_command(cmd.name, cmd.args, at)
            if outcome is not None:
                return contract.CommandResult(cmd.req_id, cmd.name, outcome.ok, outcome.detail)
        return contract.CommandResult(cmd.req_id, cmd.name, False, {"error": "unknown_command"})
