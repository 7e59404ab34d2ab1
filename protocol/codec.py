"""Building payloads: plain UTF-8 JSON on every live topic (zlib only for backlog batches,
which no person reads), checked as the parsers check.

Builders refuse what parsers would refuse, so a bad value is caught on the side that made
it. The parsers live in protocol/parsing.py and are re-exported here.
Pure: standard library only.
"""
from __future__ import annotations

import json
import zlib

from .bounds import (MAX_HISTORY_RAW, MAX_HISTORY_ROWS, MAX_PAYLOAD, MAX_TS, SCHEMA_VERSION,
                     PayloadError, check_data, check_metrics, check_scalar, is_alert_house,
                     is_int_between, is_name)
from .messages import (Ack, CentralAlerts, CentralStatus, Command, CommandResult, Event, Status,
                       Telemetry)
from .parsing import (_load, parse_ack, parse_central_alerts, parse_central_status,
                      parse_cmd_result, parse_command, parse_event, parse_history, parse_status,
                      parse_telemetry)
from .rows import MAX_BOOT, build_samples, check_epoch, parse_samples

__all__ = ["MAX_BOOT", "build_ack", "build_central_alerts", "build_central_status",
           "build_cmd_result", "build_command", "build_event", "build_history", "build_status",
           "build_telemetry", "history_json", "parse_ack", "parse_central_alerts",
           "parse_central_status", "parse_cmd_result", "parse_command", "parse_event",
           "parse_example", "parse_history", "parse_status", "parse_telemetry",
           "JSON_CONTENT_TYPE", "HISTORY_CONTENT_TYPE"]
# MQTT 5 content types (where the client speaks MQTT 5): every live payload is JSON text,
# a backlog batch is zlib-compressed JSON (bytes, payload-format indicator 0).
JSON_CONTENT_TYPE = "application/json"
HISTORY_CONTENT_TYPE = "application/zlib"


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


def _with_epoch(obj: dict, epoch: str) -> dict:
    """An outbox epoch goes on the wire when there is one ("" = an edge before epochs)."""
    if check_epoch(epoch):
        obj["epoch"] = epoch
    return obj


def _row(epoch: str, boot: str, seq: int, ts: int) -> dict:
    return {**_with_epoch({}, epoch), "boot": boot, "seq": seq, "ts": ts}


def build_status(s: Status) -> bytes:
    obj = {"v": SCHEMA_VERSION, "house": s.house, "online": s.online, "boot": s.boot,
           "ts": s.ts, "version": s.version}
    if s.reason:
        obj["reason"] = s.reason
    if s.oldest:
        obj["oldest"] = s.oldest
    return _dump(_with_epoch(obj, s.epoch))


def _check_row(seq: int, ts: int, mono: int | None, upto: int | None = None) -> None:
    """What the parser would refuse of a row's numbers, refused where the row is made."""
    if not (is_int_between(seq, 1) and is_int_between(ts, 0, MAX_TS)
            and (mono is None or is_int_between(mono, 0))
            and (upto is None or is_int_between(upto, seq))):
        raise PayloadError("out_of_range", "seq, ts, mono or upto out of range")


def _telemetry_obj(t: Telemetry) -> dict:
    check_metrics(t.metrics)
    _check_row(t.seq, t.ts, t.mono, t.upto)
    obj = {**_row(t.epoch, t.boot, t.seq, t.ts), "metrics": dict(t.metrics)}
    if t.full:  # every metric the house has; without it, only those that changed
        obj["full"] = True
    if t.upto is not None:
        obj["upto"] = t.upto
    if t.samples:
        if t.upto is None:
            raise PayloadError("bad_schema", "samples belong to a roll-up (with upto)")
        obj["samples"] = build_samples(t.samples)
        parse_samples(obj["samples"], t.seq, t.upto)  # refused here as central would
    return _clock(obj, t.tq, t.mono)


def _event_obj(e: Event) -> dict:
    if not is_name(e.type):
        raise PayloadError("bad_type", "event types are dotted lower-case words")
    _check_row(e.seq, e.ts, e.mono)
    check_data(dict(e.data))
    obj = {**_row(e.epoch, e.boot, e.seq, e.ts), "type": e.type, "data": dict(e.data)}
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


def build_history(house: str, rows: list) -> bytes:
    """A backlog batch: up to 60 telemetry/event rows of one house, zlib-compressed JSON."""
    if not 0 < len(rows) <= MAX_HISTORY_ROWS:
        raise PayloadError("bad_schema", f"a history batch holds 1-{MAX_HISTORY_ROWS} rows")
    raw = history_json(house, rows)
    if len(raw) > MAX_HISTORY_RAW:  # central would refuse to inflate it: split it instead
        raise PayloadError("too_large", f"{len(raw)} bytes before compression")
    packed = zlib.compress(raw, 6)
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
    return _dump(_with_epoch({"v": SCHEMA_VERSION, "seq": a.seq}, a.epoch))


def build_central_status(c: CentralStatus) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "online": c.online, "ts": c.ts,
                  "max_backlog_rate": c.max_backlog_rate})


def build_central_alerts(c: CentralAlerts) -> bytes:
    """Open alerts; if they do not all fit in one payload, the oldest-first prefix that does."""
    items = []
    for a in c.alerts:
        if not is_alert_house(a.house) or not is_name(a.kind):
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


def parse_example(raw: bytes) -> bytes:
    """Re-build a documented example of the later payload kinds (docs/protocol.md test)."""
    obj = _load(raw)
    if "alerts" in obj:
        return build_central_alerts(parse_central_alerts(raw))
    if "rows" in obj:  # a history batch, shown uncompressed
        return history_json(obj.get("house", ""), parse_history(raw))
    raise PayloadError("bad_schema", "no parser for this example")
