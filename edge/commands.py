"""Remote commands from central: parse, drop duplicates and expired ones, check, route, answer.

Every command gets exactly one result on cmd_result, unknown or malformed ones included.
Names, owners and argument types come from protocol.vocabulary.COMMANDS: the agent's own
commands are answered here, every other goes to the enabled feature named as its owner.
Pure: standard library, protocol and edge.feature only.
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import protocol
from protocol.vocabulary import COMMANDS, command_args_problems

from .feature import ButtonPress, Feature, Now, feature_named

log = logging.getLogger(__name__)
MAX_RESEND_SPAN = 1_000_000
PRESS_SECONDS = 0.1  # a remote press without `seconds` is a short one
# A req_id as central makes them, found in a payload the contract refused (say, a 5,000-digit
# argument): the refusal can then name the command it answers.
RAW_REQ_ID = re.compile(rb'"req_id"\s*:\s*"([A-Za-z0-9_-]{1,64})"')


def recover_req_id(raw: bytes) -> str:
    """The one safe-looking req_id in an unparsable payload; "" if none or several."""
    found = {m.group(1) for m in RAW_REQ_ID.finditer(raw[:protocol.MAX_PAYLOAD])}
    if len(found) != 1:
        return ""
    req_id = found.pop().decode("ascii")
    return "" if protocol.MAC_LIKE.search(req_id) else req_id


def resend_problems(args: Mapping[str, Any]) -> list[str]:
    """What the vocabulary's types cannot say about a `resend` range."""
    first, last = args["from"], args["to"]
    if last < first:
        return ["to: must not be below from"]
    if last - first > MAX_RESEND_SPAN:
        return [f"to: at most {MAX_RESEND_SPAN} rows after from"]
    return []


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
            # Refused, yet still answered once, under the req_id if one can be told safely.
            req_id = recover_req_id(payload)
            log.info("command %s (%s): refused, %s", name, req_id[:12] or "no req_id", exc.reason)
            return protocol.CommandResult(req_id, name, False, {"error": exc.reason})
        if cmd.req_id in self.seen:
            return self.seen[cmd.req_id]
        if cmd.expires_at and cmd.expires_at < at.wall * 1000:
            result = _refused(cmd, "expired")
        else:
            try:
                result = route(cmd, at, features, AgentHooks(post, status, resend))
            except Exception:  # a feature's bug must still get an answer, and not kill us
                log.exception("command %s failed", name)
                result = _refused(cmd, "failed")
            try:
                protocol.build_cmd_result(result)
            except protocol.PayloadError as exc:  # an answer the contract refuses: say so
                log.warning("command %s: its answer was refused (%s)", name, exc.reason)
                result = _refused(cmd, "bad_result")
        log.info("command %s (%s): %s", name, cmd.req_id[:12], "ok" if result.ok else "refused")
        self.seen[cmd.req_id] = result
        while len(self.seen) > self.remember:
            self.seen.popitem(last=False)
        return result


@dataclass(frozen=True)
class AgentHooks:
    """What the agent's own commands act on."""

    post: Callable[[object], None]  # put an item on the main queue
    status: Callable[[], dict]  # the `ping` answer
    resend: Callable[[int, int], dict] | None


def route(cmd: protocol.Command, at: Now, features: Sequence[Feature],
          hooks: AgentHooks) -> protocol.CommandResult:
    """Check a command against the vocabulary and hand it to its owner."""
    spec = COMMANDS.get(cmd.name)
    if spec is None:
        return _refused(cmd, "unknown_command")
    problems = command_args_problems(cmd.name, cmd.args)
    if not problems and cmd.name == "resend":
        problems = resend_problems(cmd.args)
    if problems:
        return protocol.CommandResult(cmd.req_id, cmd.name, False,
                                      {"error": "bad_args", "problems": problems})
    if spec.owner == "agent":
        return AGENT_COMMANDS[cmd.name](cmd, at, features, hooks)
    feature = feature_named(features, spec.owner)
    outcome = feature.on_command(cmd.name, cmd.args, at) if feature is not None else None
    if outcome is None:
        return _refused(cmd, "not_available")
    return protocol.CommandResult(cmd.req_id, cmd.name, outcome.ok, outcome.detail)


def _refused(cmd: protocol.Command, error: str) -> protocol.CommandResult:
    return protocol.CommandResult(cmd.req_id, cmd.name, False, {"error": error})


def _ping(cmd, at, features, hooks: AgentHooks) -> protocol.CommandResult:
    return protocol.CommandResult(cmd.req_id, cmd.name, True, hooks.status())


def _press(cmd, at, features, hooks: AgentHooks) -> protocol.CommandResult:
    # The same item the panel posts: one path for a real and a remote press.
    hooks.post(ButtonPress(cmd.args["button"], float(cmd.args.get("seconds", PRESS_SECONDS)),
                           source="command"))
    return protocol.CommandResult(cmd.req_id, cmd.name, True, {"queued": True})


def _resend(cmd, at, features, hooks: AgentHooks) -> protocol.CommandResult:
    if hooks.resend is None:
        return _refused(cmd, "not_available")
    return protocol.CommandResult(cmd.req_id, cmd.name, True,
                                  hooks.resend(cmd.args["from"], cmd.args["to"]))


def _rescan_devices(cmd, at: Now, features: Sequence[Feature], hooks) -> protocol.CommandResult:
    """Every enabled feature looks for its device again; the answer holds those that have one."""
    found = {}
    for feature in features:
        detail = feature.rescan(at)
        if detail is not None:
            found[feature.name] = detail
    return protocol.CommandResult(cmd.req_id, cmd.name, True, found)


# The commands whose owner in the vocabulary is "agent", and what answers each.
AGENT_COMMANDS = {"ping": _ping, "press": _press, "resend": _resend,
                  "rescan_devices": _rescan_devices}
