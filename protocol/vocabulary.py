"""The contract's words: every command, metric and event type, declared once with its types.

Edge routes commands by this table, central sends only these, and both check values
against it. docs/protocol.md shows the same tables (a test keeps them equal).
Standard library only.
Pure: standard library only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .bounds import MAC_LIKE, MAX_LIST, MAX_STRING

MAX_INT = 2**53 - 1  # the largest integer every JSON reader keeps exact (and SQLite holds)


@dataclass(frozen=True)
class Value:
    """The type and range of one value: a metric, an event's data key or a command argument.

    type: "int" (never bool), "number" (int or float), "str", "bool", "keywords" (a list of
    short lower-case keywords) or "any" (checked only by the contract's generic bounds).
    """

    type: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    max_len: int = MAX_STRING  # characters of a str, items of a keywords list
    required: bool = False  # command arguments and event data keys only


def _in_range(value: float, spec: Value) -> bool:
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def value_problem(spec: Value, value: Any) -> str:
    """Why `value` does not fit `spec` ("" when it does)."""
    kind = spec.type
    if kind == "any":
        return ""
    if kind == "bool":
        return "" if isinstance(value, bool) else "expected true or false"
    if kind in ("int", "number"):
        ok_type = isinstance(value, int) or (kind == "number" and isinstance(value, float))
        if isinstance(value, bool) or not ok_type:
            return f"expected {'an integer' if kind == 'int' else 'a number'}"
        if isinstance(value, float) and not math.isfinite(value):
            return "expected a finite number"
        if isinstance(value, int) and abs(value) > MAX_INT:
            return "integer out of range"
        return "" if _in_range(value, spec) else f"out of range {spec.min}..{spec.max}"
    if kind == "str":
        if not isinstance(value, str):
            return "expected a string"
        if len(value) > spec.max_len:
            return f"longer than {spec.max_len} characters"
        if spec.choices and value not in spec.choices:
            return "expected one of " + "|".join(spec.choices)
        return "privacy: looks like a MAC address" if MAC_LIKE.search(value) else ""
    if kind == "keywords":
        if not isinstance(value, list) or len(value) > min(spec.max_len, MAX_LIST):
            return f"expected a list of at most {min(spec.max_len, MAX_LIST)} keywords"
        if not all(isinstance(v, str) and KEYWORD_MAX >= len(v) > 0 and v.isascii()
                   and v.replace("-", "").replace("_", "").isalnum() for v in value):
            return f"expected keywords of at most {KEYWORD_MAX} characters"
        return ""
    return f"unknown value type {kind}"


KEYWORD_MAX = 64

# ----- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandSpec:
    """A command central may send to a house; `owner` is the edge part that implements it."""

    name: str
    owner: str  # "agent", "printing", "scanning", "wifi", "help"
    args: Mapping[str, Value] = field(default_factory=dict)
    text: str = ""


JOB_ID = Value("int", 1, MAX_INT, required=True)

COMMANDS: dict[str, CommandSpec] = {c.name: c for c in (
    CommandSpec("ping", "agent", text="the agent's status: version, outbox, features"),
    CommandSpec("press", "agent", {
        "button": Value("str", choices=("print", "scan", "copy", "help"), required=True),
        "seconds": Value("number", 0, 30)}, "press a panel button remotely"),
    CommandSpec("resend", "agent", {
        "from": Value("int", 1, MAX_INT, required=True),
        "to": Value("int", 1, MAX_INT, required=True)}, "send outbox rows from..to again"),
    CommandSpec("rescan_devices", "agent",
                text="look for the printer and the scanner again (after re-plugging)"),
    CommandSpec("release_job", "printing", {"job": JOB_ID},
                text="print one held job of this house's queue"),
    CommandSpec("cancel_job", "printing", {"job": JOB_ID},
                text="cancel one held or pending job of this house's queue"),
    CommandSpec("print_status", "printing",
                text="the printer's state and the queue's jobs (no titles, no user names)"),
    CommandSpec("scan_cancel", "scanning", text="cancel the running or waiting scan"),
    CommandSpec("scan_status", "scanning", text="the scanner's state and queue"),
    CommandSpec("wifi_status", "wifi", text="Wi-Fi users now and today, sources down"),
    CommandSpec("help_ack", "help", {"request": Value("int", 0, MAX_INT)},
                text="acknowledge the house's open HELP request"),
)}


def command_args_problems(name: str, args: Mapping[str, Any]) -> list[str]:
    """Every problem with a command's name and arguments (empty when it may be sent)."""
    spec = COMMANDS.get(name)
    if spec is None:
        return [f"unknown command {name!r}"]
    out = [f"{key}: not an argument of {name}" for key in args if key not in spec.args]
    for key, value_spec in spec.args.items():
        if key not in args:
            if value_spec.required:
                out.append(f"{key}: required")
            continue
        problem = value_problem(value_spec, args[key])
        if problem:
            out.append(f"{key}: {problem}")
    return out

# ----- metrics and events --------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """A telemetry metric: `kind` is "counter" (cumulative, never decreasing within a boot),
    "gauge" (a reading) or "info" (a word or keywords); unit as in Prometheus (seconds,
    bytes, ratio, ...) or "" for a plain count."""

    name: str
    kind: str
    value: Value
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class EventSpec:
    """An event type and the keys its data may carry."""

    type: str
    data: Mapping[str, Value] = field(default_factory=dict)
    text: str = ""


METRICS: dict[str, MetricSpec] = {}  # filled in next, one entry per metric the edge sends
EVENTS: dict[str, EventSpec] = {}  # filled in next, one entry per event type


def metric_problem(name: str, value: Any) -> str:
    """Why a known metric's value is wrong ("" when it fits, or when the name is unknown)."""
    spec = METRICS.get(name)
    return value_problem(spec.value, value) if spec else ""


def event_problems(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """Every problem with a known event's data (empty when it fits or the type is unknown)."""
    spec = EVENTS.get(event_type)
    if spec is None:
        return []
    out = []
    for key, value_spec in spec.data.items():
        if key not in data:
            if value_spec.required:
                out.append(f"{key}: required")
        elif problem := value_problem(value_spec, data[key]):
            out.append(f"{key}: {problem}")
    return out
