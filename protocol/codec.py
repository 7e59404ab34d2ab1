"""Building and parsing payloads: JSON (and zlib for backlog batches), checked both ways.

Standard library only. Builders refuse what parsers would refuse, so a bad value is
caught on the side that made it.
Pure: standard library only.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

from .bounds import (CLOCK_QUALITY, COMMAND_NAME, MAX_HISTORY_RAW, MAX_HISTORY_ROWS, MAX_INT,
                     MAX_NAME, MAX_PAYLOAD, MAX_STRING, MAX_TS, SCHEMA_VERSION, PayloadError,
                     check_data, check_metrics, check_scalar, is_house_id, is_int_between,
                     is_name, is_text)
from .bounds import RESERVED_IDS  # "central" names alerts about central itself

MAX_BOOT = 64  # characters of a boot id (the edge sends 32 hex digits)
from .messages import (Ack, AlertItem, CentralAlerts, CentralStatus, Command, CommandResult, Event,
                       Status, Telemetry)


def _dump(obj: dict) -> bytes:
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if len(raw) > MAX_PAYLOAD:
        raise PayloadError("too_large", f"{len(raw)} bytes")
    return raw


def _clock(obj: dict, tq: str, mono: int | None) -> dict:
    if tq != "ntp":
        obj["tq"] = tq
    if mono is not None:  # the first synchronised row of a boot carries it too: an anchor
        obj["mono"] = mono
    return obj


def build_status(s: Status) -> bytes:
    obj = {"v": SCHEMA_VERSION, "house": s.house, "online": s.online, "boot": s.boot,
           "ts": s.ts, "version": s.version}
    if s.reason:
        obj["reason"] = s.reason
    if s.oldest:
        obj["oldest"] = s.oldest
    return _dump(obj)


def _check_row(seq: int, ts: int, mono: int | None, upto: int | None = None) -> None:
    """What the parser would refuse of a row's numbers, refused where the row is made."""
    if not (is_int_between(seq, 1) and is_int_between(ts, 0, MAX_TS)
            and (mono is None or is_int_between(mono, 0))
            and (upto is None or is_int_between(upto, seq))):
        raise PayloadError("out_of_range", "seq, ts, mono or upto out of range")


def _telemetry_obj(t: Telemetry) -> dict:
    check_metrics(t.metrics)
    _check_row(t.seq, t.ts, t.mono, t.upto)
    obj = {"boot": t.boot, "seq": t.seq, "ts": t.ts, "metrics": dict(t.metrics)}
    if t.upto is not None:
        obj["upto"] = t.upto
    return _clock(obj, t.tq, t.mono)


def _event_obj(e: Event) -> dict:
    if not is_name(e.type):
        raise PayloadError("bad_type", "event types are dotted lower-case words")
    _check_row(e.seq, e.ts, e.mono)
    check_data(dict(e.data))
    obj = {"boot": e.boot, "seq": e.seq, "ts": e.ts, "type": e.type, "data": dict(e.data)}
    return _clock(obj, e.tq, e.mono)


def build_telemetry(t: Telemetry) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "house": t.house, **_telemetry_obj(t)})


def build_event(e: Event) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "house": e.house, **_event_obj(e)})


def history_json(house: str, rows: list) -> bytes:
    """A backlog batch before compression (what docs/protocol.md shows)."""
    items = [_telemetry_obj(r) if isinstance(r, Telemetry) else _event_obj(r) for r in rows]
    return json.dumps({"v": SCHEMA_VERSION, "house": house, "rows": items}, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=False).encode()


def pack(payload: bytes) -> bytes:
    """zlib-compress a telemetry/event payload when that is smaller (about half on the
    wire for a full sample); parsers accept both forms."""
    packed = zlib.compress(payload, 9)
    return packed if len(packed) < len(payload) else payload


def build_history(house: str, rows: list) -> bytes:
    """A backlog batch: up to 60 telemetry/event rows of one house, zlib-compressed JSON."""
    if not 0 < len(rows) <= MAX_HISTORY_ROWS:
        raise PayloadError("bad_schema", f"a history batch holds 1-{MAX_HISTORY_ROWS} rows")
    packed = zlib.compress(history_json(house, rows), 6)
    if len(packed) > MAX_PAYLOAD:
        raise PayloadError("too_large", f"{len(packed)} bytes compressed")
    return packed


def build_command(c: Command) -> bytes:
    check_data(dict(c.args), "args")
    return _dump({"v": SCHEMA_VERSION, "req_id": c.req_id, "expires_at": c.expires_at,
                  "args": dict(c.args)})


def build_cmd_result(r: CommandResult) -> bytes:
    # The detail is the payload's data (depth counted from it): print_status's list of job
    # objects must fit, as an event's data would.
    check_data(r.detail, "detail")
    return _dump({"v": SCHEMA_VERSION, "req_id": r.req_id, "name": r.name, "ok": r.ok,
                  "detail": r.detail})


def build_ack(a: Ack) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "seq": a.seq})


def build_central_status(c: CentralStatus) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "online": c.online, "ts": c.ts,
                  "max_backlog_rate": c.max_backlog_rate})


def _is_alert_house(house: str) -> bool:
    """A house id, or "central" for an alert about central itself (central.ingest_stalled)."""
    return is_house_id(house) or house in RESERVED_IDS


def build_central_alerts(c: CentralAlerts) -> bytes:
    """Open alerts; if they do not all fit in one payload, the oldest-first prefix that does."""
    items = []
    for a in c.alerts:
        if not _is_alert_house(a.house) or not is_name(a.kind):
            raise PayloadError("bad_schema", "alert house or kind is malformed")
        check_scalar(a.text, "text")
        check_scalar(a.text_en, "text_en")
        items.append({"house": a.house, "kind": a.kind, "since": a.since, "text": a.text,
                      "text_en": a.text_en})
    obj = {"v": SCHEMA_VERSION, "ts": c.ts, "count": len(items), "alerts": items}
    while True:
        try:
            return _dump(obj)
        except PayloadError:
            if not obj["alerts"]:
                raise
            obj["alerts"] = obj["alerts"][: len(obj["alerts"]) * 3 // 4]


# ----- parsing ---------------------------------------------------------------------------

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
    """zlib is inflated up to MAX_HISTORY_RAW bytes; anything else passes through as JSON."""
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
                  reason=_str(obj, "reason", MAX_NAME, optional=True) or "", oldest=oldest)


def _telemetry_from(obj: dict, house: str) -> Telemetry:
    boot, seq, ts, tq, mono = _seq_ts(obj)
    metrics = _get(obj, "metrics", dict)
    check_metrics(metrics)
    upto = _int(obj, "upto", seq, optional=True)
    return Telemetry(house, boot, seq, ts, metrics, tq, mono, upto)


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
    return Event(house, boot, seq, ts, etype, data, tq, mono)


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
    return Ack(_int(_load(raw), "seq", 0))


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
        if not _is_alert_house(house) or not is_name(kind):
            raise PayloadError("bad_schema", "alert house or kind is malformed")
        out.append(AlertItem(house, kind, _int(item, "since", 0, MAX_TS),
                             _str(item, "text", MAX_STRING),
                             _str(item, "text_en", MAX_STRING, optional=True) or ""))
    return CentralAlerts(_int(obj, "ts", 0, MAX_TS), tuple(out))


def parse_example(raw: bytes) -> bytes:
    """Re-build a documented example of the later payload kinds (docs/protocol.md test)."""
    obj = _load(raw)
    if "alerts" in obj:
        return build_central_alerts(parse_central_alerts(raw))
    if "rows" in obj:  # a history batch, shown uncompressed
        return history_json(obj.get("house", ""), parse_history(raw))
    raise PayloadError("bad_schema", "no parser for this example")
