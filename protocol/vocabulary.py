"""The contract's words: every command, metric and event type, declared once with its types.

Edge routes commands by COMMANDS, central sends only these, and both check values against
the tables (declared in protocol/words.py, shown in docs/protocol.md).
Pure: standard library only.
"""
from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Mapping

from .bounds import MAC_LIKE, MAX_LIST, is_name
from .words import (COMMANDS, EVENTS, KEYWORD_MAX, MAX_INT, METRICS, CommandSpec, EventSpec,
                    MetricSpec, Value)

__all__ = ["COMMANDS", "EVENTS", "KEYWORD_MAX", "MAX_INT", "METRICS", "CommandSpec",
           "EventSpec", "MetricSpec", "Value", "command_args_problems", "describe",
           "event_problems", "metric_problem", "value_problem"]

# IPP keywords (RFC 8011 5.1.4) may carry "." (vendor reasons such as com.apple.print-…).
KEYWORD = re.compile(r"[A-Za-z0-9._-]{1,%d}" % KEYWORD_MAX)  # fullmatch: no trailing newline
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _number_problem(spec: Value, value: Any) -> str:
    whole = spec.type == "int"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return "expected an integer" if whole else "expected a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "expected a finite number"
    if abs(value) > MAX_INT:
        return "number out of range"
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        return "out of range: expected " + describe(spec)
    return ""


def _word_problem(value: Any) -> str:
    if not isinstance(value, str) or not KEYWORD.fullmatch(value):
        return f"expected a keyword (letters, digits, - _ ., at most {KEYWORD_MAX})"
    return "privacy: looks like a MAC address" if MAC_LIKE.search(value) else ""


def _text_problem(spec: Value, value: Any) -> str:
    if not isinstance(value, str):
        return "expected a string"
    if len(value) > spec.max_len:
        return f"longer than {spec.max_len} characters"
    return "privacy: looks like a MAC address" if MAC_LIKE.search(value) else ""


def _list_problem(spec: Value, value: Any) -> str:
    most = min(spec.max_len, MAX_LIST)
    if not isinstance(value, list) or len(value) > most:
        return f"expected a list of at most {most} keywords"
    return next((problem for item in value if (problem := _word_problem(item))), "")


def _counts_problem(value: Any) -> str:
    if not isinstance(value, dict) or len(value) > MAX_LIST:
        return f"expected an object of at most {MAX_LIST} counts"
    for key, count in value.items():
        # Keys are data keys too: the contract's check_data takes lower-case names only.
        if not is_name(key) or _number_problem(Value("int", 0), count):
            return "expected name: integer ≥ 0"
    return ""


def describe(spec: Value) -> str:
    """The type and range in a few words ("int ≥ 0", "number 0..100", "keywords ≤ 32")."""
    words = {"str": f"text ≤ {spec.max_len}", "keywords": f"keywords ≤ {spec.max_len}"}
    text = " | ".join(spec.choices) if spec.choices else words.get(spec.type, spec.type)
    low, high = spec.min, None if spec.max == MAX_INT else spec.max
    if low is not None and high is not None:
        text += f" {low:g}..{high:g}"
    elif low is not None:
        text += f" ≥ {low:g}"
    elif high is not None:
        text += f" ≤ {high:g}"
    return text + (" or null" if spec.nullable else "")


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def value_problem(spec: Value, value: Any) -> str:
    """Why `value` does not fit `spec` ("" when it does). Never raises, whatever `value` is."""
    kind = spec.type
    if value is None and spec.nullable:
        return ""
    if kind == "any":
        return ""
    if kind == "bool":
        return "" if isinstance(value, bool) else "expected true or false"
    if kind in ("int", "number"):
        return _number_problem(spec, value)
    if kind in ("str", "keyword"):
        problem = _word_problem(value) if kind == "keyword" else _text_problem(spec, value)
        if not problem and spec.choices and value not in spec.choices:
            return "expected one of " + "|".join(spec.choices)
        return problem
    if kind == "keywords":
        return _list_problem(spec, value)
    if kind == "date":
        return "" if isinstance(value, str) and DATE.fullmatch(value) and _is_day(value) \
            else "expected a date YYYY-MM-DD"
    if kind == "counts":
        return _counts_problem(value)
    return f"unknown value type {kind}"


def command_args_problems(name: Any, args: Mapping[str, Any]) -> list[str]:
    """Every problem with a command's name and arguments (empty when it may be sent)."""
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        return [f"unknown command; known: {', '.join(sorted(COMMANDS))}"]
    out = [f"{key}: not an argument of {name}" for key in args if key not in spec.args]
    for key, value_spec in spec.args.items():
        if key not in args:
            if value_spec.required:
                out.append(f"{key}: required")
        elif problem := value_problem(value_spec, args[key]):
            out.append(f"{key}: {problem}")
    return out


def metric_problem(name: str, value: Any) -> str:
    """Why a known metric's value is wrong ("" when it fits, or when the name is unknown:
    a newer edge may send more)."""
    spec = METRICS.get(name)
    return value_problem(spec.value, value) if spec else ""


def event_problems(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """Every problem with a known event's data (empty when it fits or the type is unknown).
    Keys the vocabulary does not declare are left to the contract's generic bounds."""
    spec = EVENTS.get(event_type)
    if spec is None:
        return []
    if not isinstance(data, Mapping):
        return ["data: expected an object"]
    out = []
    for key, value_spec in spec.data.items():
        if key not in data:
            if value_spec.required:
                out.append(f"{key}: required")
        elif problem := value_problem(value_spec, data[key]):
            out.append(f"{key}: {problem}")
    return out


REASON_SUFFIXES = ("-error", "-warning", "-report")  # IPP's severity suffixes


def base_reason(keyword: str) -> str:
    """A printer-state-reason without its severity suffix ("media-empty-error" ->
    "media-empty"): how reasons travel in `print.reasons` and how both sides name them."""
    for suffix in REASON_SUFFIXES:
        if keyword.endswith(suffix):
            return keyword[: -len(suffix)]
    return keyword

