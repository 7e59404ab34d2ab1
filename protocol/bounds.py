"""The contract's bounds and value checks: names, sizes, the privacy filter, PayloadError.

Standard library only; every other protocol module builds on it.
Pure: standard library only.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

SCHEMA_VERSION = 1
DEFAULT_ROOT = "culturehouse/v1"
HOUSE_ID = re.compile(r"^[a-z0-9-]{1,32}$")
RESERVED_IDS = frozenset({"central"})  # {root}/central/... belongs to the collector
METRIC_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
EVENT_TYPE = METRIC_NAME
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_PAYLOAD = 64 * 1024
MAX_STRING = 200
MAX_LIST = 64
MAX_METRICS = 500
MAX_HISTORY_ROWS = 60  # rows in one backlog batch
MAX_HISTORY_RAW = 1024 * 1024  # a batch inflated: refuse zip bombs
MAX_NAME = 64  # characters of a metric name, event type or data key
# Every integer on the wire fits what every JSON reader keeps exact and SQLite stores:
# a house cannot send a number that breaks a later step (a 5,000-digit int, 2**63, ...).
MAX_INT = 2**53 - 1
MAX_TS = 4_102_444_800_000  # unix ms of 2100-01-01: any later time is a broken clock
# Nothing that looks like a MAC address may ever leave a house (privacy by design), in any
# common spelling: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff, aabbccddeeff.
MAC_LIKE = re.compile(r"(?i)(?<![0-9a-f])(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}"
                      r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})(?![0-9a-f])")

KINDS = ("status", "telemetry", "event", "history", "cmd", "cmd_result", "ack")
CLOCK_QUALITY = ("ntp", "none")


class PayloadError(ValueError):
    """A payload or topic that breaks the contract; `reason` is a short stable code."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


def is_house_id(text: str) -> bool:
    return (bool(HOUSE_ID.match(text)) and text not in RESERVED_IDS
            and not MAC_LIKE.search(text))


def is_alert_house(house: str) -> bool:
    """A house id, or "central" for an alert about central itself (central.ingest_stalled)."""
    return is_house_id(house) or house in RESERVED_IDS


def is_text(text: str) -> bool:
    """Encodable as UTF-8: JSON lets a lone UTF-16 surrogate ("\\ud800") through, and it
    would then fail in every later step (SQLite, the pages, the logs)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_name(text: Any) -> bool:
    """A metric name, event type or data key: short dotted lower-case words, no MAC."""
    return (isinstance(text, str) and len(text) <= MAX_NAME and bool(METRIC_NAME.match(text))
            and not MAC_LIKE.search(text))


def is_int_between(value: Any, low: int, high: int = MAX_INT) -> bool:
    """An integer (never a bool) with low <= value <= high."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_scalar(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None:
        raise PayloadError("bad_value", f"{where}: booleans and null are not metric values")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise PayloadError("bad_value", f"{where}: not a finite number")
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise PayloadError("bad_value", f"{where}: integer beyond ±2**53")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise PayloadError("bad_value", f"{where}: string longer than {MAX_STRING}")
        if not is_text(value):
            raise PayloadError("bad_value", f"{where}: not valid Unicode text")
        if MAC_LIKE.search(value):
            raise PayloadError("privacy", f"{where}: looks like a MAC address")
        return
    raise PayloadError("bad_value", f"{where}: {type(value).__name__} is not allowed")


def check_metrics(metrics: Mapping[str, Any]) -> None:
    """Metric values are numbers, short strings, or flat lists of those."""
    if not isinstance(metrics, Mapping):
        raise PayloadError("bad_schema", "metrics must be an object")
    if len(metrics) > MAX_METRICS:
        raise PayloadError("bad_schema", f"more than {MAX_METRICS} metrics")
    for name, value in metrics.items():
        if not is_name(name):
            raise PayloadError("bad_metric", f"metric names are dotted lower-case words "
                               f"of at most {MAX_NAME} characters")
        if isinstance(value, list):
            if len(value) > MAX_LIST:
                raise PayloadError("bad_value", f"{name}: list longer than {MAX_LIST}")
            for item in value:
                check_scalar(item, name)
        else:
            check_scalar(value, name)


def check_data(data: Any, where: str = "data", depth: int = 0) -> None:
    """Event data: a shallow JSON object of scalars, lists and small objects, no MACs."""
    if depth > 3:
        raise PayloadError("bad_schema", f"{where}: nested too deeply")
    if isinstance(data, Mapping):
        if len(data) > MAX_METRICS:
            raise PayloadError("bad_schema", f"{where}: too many keys")
        for key, value in data.items():
            if not is_name(key):
                raise PayloadError("bad_schema", f"{where}: keys are lower-case words "
                                   f"of at most {MAX_NAME} characters")
            check_data(value, f"{where}.{key}", depth + 1)
    elif isinstance(data, list):
        if len(data) > MAX_LIST:
            raise PayloadError("bad_value", f"{where}: list longer than {MAX_LIST}")
        for item in data:
            check_data(item, where, depth + 1)
    elif isinstance(data, bool) or data is None:
        return
    else:
        check_scalar(data, where)

