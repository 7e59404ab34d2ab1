"""Parsing payloads: bytes from the wire into the contract's messages, every field checked.

A payload that breaks the contract raises PayloadError with a short reason; nothing else
escapes. protocol/codec.py builds the same payloads and re-exports these parsers.
Pure: standard library only.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from .bounds import (CLOCK_QUALITY, COMMAND_NAME, MAX_HISTORY_RAW, MAX_HISTORY_ROWS, MAX_INT,
                     MAX_NAME, MAX_PAYLOAD, MAX_STRING, MAX_TS, SCHEMA_VERSION, PayloadError,
                     check_data, check_metrics, is_alert_house, is_house_id, is_name, is_text)
from .messages import (Ack, AlertItem, CentralAlerts, CentralStatus, Command, CommandResult, Event,
                       Status, Telemetry)
from .rows import MAX_BOOT, check_epoch, parse_samples


def _load(raw: bytes) -> dict:
    if len(raw) > MAX_PAYLOAD:
        raise PayloadError("too_large", f"{len(raw)} bytes")
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, or an int past 4,300 digits
        raise PayloadError("bad_json") from None
    if not isinstance(obj, dict):
        raise PayloadError("bad_schema", "payload must be a JSON object")
    if obj.get("v") != SCHEMA_VERSION:
        raise PayloadError("bad_version", f"expected v={SCHEMA_VERSION}")
    return obj


def _get(obj: dict, key: str, kind: type | tuple, optional: bool = False) -> Any:
    if key not in obj:
        if optional:
            return None
        raise PayloadError("bad_schema", f"missing {key}")
    value = obj[key]
    bad_bool = isinstance(value, bool) and kind is not bool
    if bad_bool or not isinstance(value, kind):
        raise PayloadError("bad_schema", f"{key} has the wrong type")
    return value


def _int(obj: dict, key: str, low: int, high: int = MAX_INT, optional: bool = False) -> Any:
    """An integer field within [low, high]; None when optional and absent."""
    value = _get(obj, key, int, optional)
    if value is not None and not low <= value <= high:
        raise PayloadError("out_of_range", f"{key} must be within {low}..{high}")
    return value


def _str(obj: dict, key: str, longest: int, optional: bool = False) -> Any:
    value = _get(obj, key, str, optional)
    if value is not None and len(value) > longest:
        raise PayloadError("bad_schema", f"{key} is longer than {longest} characters")
    if value is not None and not is_text(value):
        raise PayloadError("bad_value", f"{key} is not valid Unicode text")
    return value


def _house(obj: dict, topic_house: str | None) -> str:
    house = _get(obj, "house", str)
    if not is_house_id(house):
        raise PayloadError("bad_house", "house id does not match [a-z0-9-]{1,32}")
    if topic_house is not None and house != topic_house:
        raise PayloadError("house_mismatch", "house in payload differs from the topic")
    return house


def _inflate(raw: bytes) -> bytes:
    """zlib is inflated up to MAX_HISTORY_RAW bytes; anything else passes through as JSON.

    Live telemetry and events are plain JSON; an edge older than that compressed them when
    that was smaller, and is still understood while a fleet upgrades (one byte's check)."""
    if len(raw) > MAX_PAYLOAD:
        raise PayloadError("too_large", f"{len(raw)} bytes")
    if raw[:1] != b"\x78":  # zlib's header byte (32 KiB window); anything else is JSON
        return raw
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, MAX_HISTORY_RAW)
    except zlib.error:
        raise PayloadError("bad_json", "neither JSON nor zlib") from None
    if inflater.unconsumed_tail:
        raise PayloadError("too_large", f"inflates past {MAX_HISTORY_RAW} bytes")
    return out


def _epoch(obj: dict) -> str:
    """The outbox epoch; absent (an edge older than epochs) is ""."""
    return check_epoch(obj["epoch"]) if "epoch" in obj else ""


def _seq_ts(obj: dict) -> tuple[str, int, int, str, int | None]:
    boot = _str(obj, "boot", MAX_BOOT)
    seq = _int(obj, "seq", 1)
    ts = _int(obj, "ts", 0, MAX_TS)
    tq = _get(obj, "tq", str, optional=True) or "ntp"
    if tq not in CLOCK_QUALITY:
        raise PayloadError("bad_schema", "tq must be ntp or none")
    mono = _int(obj, "mono", 0, optional=True)
    return boot, seq, ts, tq, mono


def parse_status(raw: bytes, topic_house: str | None = None) -> Status:
    obj = _load(raw)
    oldest = _int(obj, "oldest", 0, optional=True) or 0
    return Status(house=_house(obj, topic_house), online=_get(obj, "online", bool),
                  boot=_str(obj, "boot", MAX_BOOT), ts=_int(obj, "ts", 0, MAX_TS),
                  version=_str(obj, "version", MAX_NAME, optional=True) or "",
                  reason=_str(obj, "reason", MAX_NAME, optional=True) or "", oldest=oldest,
                  epoch=_epoch(obj))


def _telemetry_from(obj: dict, house: str) -> Telemetry:
    boot, seq, ts, tq, mono = _seq_ts(obj)
    metrics = _get(obj, "metrics", dict)
    check_metrics(metrics)
    upto = _int(obj, "upto", seq, optional=True)
    samples = ()
    if "samples" in obj:  # a roll-up's raw samples: only a roll-up has them
        if upto is None:
            raise PayloadError("bad_schema", "samples belong to a roll-up (with upto)")
        samples = parse_samples(obj["samples"], seq, upto)
    full = bool(_get(obj, "full", bool, optional=True))
    return Telemetry(house, boot, seq, ts, metrics, tq, mono, upto, _epoch(obj), samples, full)


def parse_telemetry(raw: bytes, topic_house: str | None = None) -> Telemetry:
    obj = _load(_inflate(raw))
    return _telemetry_from(obj, _house(obj, topic_house))


def parse_history(raw: bytes, topic_house: str | None = None) -> list:
    """A backlog batch (zlib or plain JSON) into Telemetry/Event rows; all or nothing."""
    obj = _load(_inflate(raw))
    house = _house(obj, topic_house)
    rows = _get(obj, "rows", list)
    if not 0 < len(rows) <= MAX_HISTORY_ROWS:
        raise PayloadError("bad_schema", f"a history batch holds 1-{MAX_HISTORY_ROWS} rows")
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise PayloadError("bad_schema", "history rows are objects")
        out.append(_event_from(row, house) if "type" in row else _telemetry_from(row, house))
    return out


def parse_event(raw: bytes, topic_house: str | None = None) -> Event:
    obj = _load(_inflate(raw))
    return _event_from(obj, _house(obj, topic_house))


def _event_from(obj: dict, house: str) -> Event:
    boot, seq, ts, tq, mono = _seq_ts(obj)
    etype = _get(obj, "type", str)
    if not is_name(etype):
        raise PayloadError("bad_type", "event types are dotted lower-case words")
    data = _get(obj, "data", dict)
    check_data(data)
    return Event(house, boot, seq, ts, etype, data, tq, mono, _epoch(obj))


def parse_command(name: str, raw: bytes) -> Command:
    obj = _load(raw)
    req_id = _req_id(obj)
    expires_at = _int(obj, "expires_at", 0, MAX_TS, optional=True) or 0
    args = _get(obj, "args", dict, optional=True) or {}
    check_data(args, "args")
    return Command(name, req_id, expires_at, args)


def _req_id(obj: dict) -> str:
    req_id = _get(obj, "req_id", str)
    if not 0 < len(req_id) <= 64:
        raise PayloadError("bad_schema", "req_id must be 1-64 characters")
    return req_id


def parse_cmd_result(raw: bytes) -> CommandResult:
    """A house's answer; its detail is checked like any payload (sizes, types, no MAC)."""
    obj = _load(raw)
    name = _get(obj, "name", str)
    if not COMMAND_NAME.match(name):
        raise PayloadError("bad_schema", "command names are lower-case words")
    detail = obj.get("detail")
    check_data(detail, "detail")
    return CommandResult(req_id=_req_id(obj), name=name, ok=_get(obj, "ok", bool), detail=detail)


def parse_ack(raw: bytes) -> Ack:
    obj = _load(raw)
    return Ack(_int(obj, "seq", 0), _epoch(obj))


def parse_central_status(raw: bytes) -> CentralStatus:
    obj = _load(raw)
    rate = _get(obj, "max_backlog_rate", (int, float), optional=True)
    if rate is not None and not 0 < rate <= 1000:  # also refuses NaN
        raise PayloadError("out_of_range", "max_backlog_rate must be within 0..1000")
    return CentralStatus(online=_get(obj, "online", bool), ts=_int(obj, "ts", 0, MAX_TS),
                         max_backlog_rate=float(rate) if rate is not None else 5.0)


def parse_central_alerts(raw: bytes) -> CentralAlerts:
    obj = _load(raw)
    items = _get(obj, "alerts", list)
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("bad_schema", "alerts are objects")
        house, kind = _get(item, "house", str), _get(item, "kind", str)
        if not is_alert_house(house) or not is_name(kind):
            raise PayloadError("bad_schema", "alert house or kind is malformed")
        out.append(AlertItem(house, kind, _int(item, "since", 0, MAX_TS),
                             _str(item, "text", MAX_STRING),
                             _str(item, "text_en", MAX_STRING, optional=True) or ""))
    return CentralAlerts(_int(obj, "ts", 0, MAX_TS), tuple(out))
