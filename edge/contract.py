"""The MQTT contract v1: topics, payloads and their validation (docs/protocol.md).

The only place a topic string is formatted or a payload built or parsed; edge and
central both import it. Standard library only.
"""
from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass, field
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
# Nothing that looks like a MAC address may ever leave a house (privacy by design).
MAC_LIKE = re.compile(r"(?i)(?<![0-9a-f])[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}(?![0-9a-f])")

KINDS = ("status", "telemetry", "event", "history", "cmd", "cmd_result", "ack")
CLOCK_QUALITY = ("ntp", "none")


class PayloadError(ValueError):
    """A payload or topic that breaks the contract; `reason` is a short stable code."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


def is_house_id(text: str) -> bool:
    return bool(HOUSE_ID.match(text)) and text not in RESERVED_IDS


@dataclass(frozen=True)
class Topics:
    """Topic names under one root (default culturehouse/v1)."""

    root: str = DEFAULT_ROOT

    def status(self, house: str) -> str:
        return f"{self.root}/{house}/status"

    def telemetry(self, house: str) -> str:
        return f"{self.root}/{house}/telemetry"

    def event(self, house: str) -> str:
        return f"{self.root}/{house}/event"

    def history(self, house: str) -> str:
        return f"{self.root}/{house}/history"

    def cmd(self, house: str, name: str) -> str:
        return f"{self.root}/{house}/cmd/{name}"

    def cmd_result(self, house: str) -> str:
        return f"{self.root}/{house}/cmd_result"

    def ack(self, house: str) -> str:
        return f"{self.root}/{house}/ack"

    def central_status(self) -> str:
        return f"{self.root}/central/status"

    def central_alerts(self) -> str:
        """Central's open alerts, retained (for other tools and a second dashboard)."""
        return f"{self.root}/central/alerts"

    def edge_subscriptions(self, house: str) -> list[str]:
        """What an edge agent subscribes to (its own commands and ack, central's status)."""
        return [f"{self.root}/{house}/cmd/+", self.ack(house), self.central_status()]

    def central_subscriptions(self) -> list[str]:
        """What the collector subscribes to: everything houses send up."""
        return [f"{self.root}/+/{kind}" for kind in ("status", "telemetry", "event", "history",
                                                          "cmd_result")]

    def parse(self, topic: str) -> tuple[str, str, str | None]:
        """Split a topic into (house, kind, command name or None); PayloadError if foreign."""
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            raise PayloadError("bad_topic", "outside the topic root")
        parts = topic[len(prefix):].split("/")
        if parts[0] == "central":
            return "central", parts[1] if len(parts) > 1 else "", None
        if not is_house_id(parts[0]):
            raise PayloadError("bad_house", "house id does not match [a-z0-9-]{1,32}")
        if len(parts) == 3 and parts[1] == "cmd" and COMMAND_NAME.match(parts[2]):
            return parts[0], "cmd", parts[2]
        if len(parts) == 2 and parts[1] in KINDS and parts[1] != "cmd":
            return parts[0], parts[1], None
        raise PayloadError("bad_topic", "unknown topic kind")


# ----- payload dataclasses --------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    house: str
    online: bool
    boot: str
    ts: int
    version: str = ""
    reason: str = ""  # "" while online; "stopped" on a clean stop; "lost" in the will
    oldest: int = 0  # oldest seq still in the edge's outbox (next seq if empty); 0 = unsaid


@dataclass(frozen=True)
class Telemetry:
    house: str
    boot: str
    seq: int
    ts: int
    metrics: Mapping[str, Any]
    tq: str = "ntp"  # clock quality: "none" until the system clock is synchronised
    mono: int | None = None  # monotonic ms of this boot: while tq is "none", and once after sync
    upto: int | None = None  # a roll-up of the samples seq..upto (outbox over its quota)


@dataclass(frozen=True)
class Event:
    house: str
    boot: str
    seq: int
    ts: int
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)
    tq: str = "ntp"
    mono: int | None = None


@dataclass(frozen=True)
class Command:
    name: str
    req_id: str
    expires_at: int  # unix ms; 0 = never
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandResult:
    req_id: str
    name: str
    ok: bool
    detail: Any = None


@dataclass(frozen=True)
class Ack:
    seq: int


@dataclass(frozen=True)
class CentralStatus:
    online: bool
    ts: int
    max_backlog_rate: float = 5.0  # messages per second a house may use to replay backlog


@dataclass(frozen=True)
class AlertItem:
    house: str
    kind: str  # dotted lower-case words, e.g. house.offline
    since: int  # unix ms the condition began
    text: str  # Vietnamese
    text_en: str = ""


@dataclass(frozen=True)
class CentralAlerts:
    ts: int
    alerts: tuple[AlertItem, ...] = ()


# ----- building --------------------------------------------------------------------------

def _check_scalar(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None:
        raise PayloadError("bad_value", f"{where}: booleans and null are not metric values")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise PayloadError("bad_value", f"{where}: not a finite number")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise PayloadError("bad_value", f"{where}: string longer than {MAX_STRING}")
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
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise PayloadError("bad_metric", "metric names are dotted lower-case words")
        if isinstance(value, list):
            if len(value) > MAX_LIST:
                raise PayloadError("bad_value", f"{name}: list longer than {MAX_LIST}")
            for item in value:
                _check_scalar(item, name)
        else:
            _check_scalar(value, name)


def check_data(data: Any, where: str = "data", depth: int = 0) -> None:
    """Event data: a shallow JSON object of scalars, lists and small objects, no MACs."""
    if depth > 3:
        raise PayloadError("bad_schema", f"{where}: nested too deeply")
    if isinstance(data, Mapping):
        if len(data) > MAX_METRICS:
            raise PayloadError("bad_schema", f"{where}: too many keys")
        for key, value in data.items():
            if not isinstance(key, str) or not METRIC_NAME.match(key):
                raise PayloadError("bad_schema", f"{where}: keys are lower-case words")
            check_data(value, f"{where}.{key}", depth + 1)
    elif isinstance(data, list):
        if len(data) > MAX_LIST:
            raise PayloadError("bad_value", f"{where}: list longer than {MAX_LIST}")
        for item in data:
            check_data(item, where, depth + 1)
    elif isinstance(data, bool) or data is None:
        return
    else:
        _check_scalar(data, where)


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


def _telemetry_obj(t: Telemetry) -> dict:
    check_metrics(t.metrics)
    if t.upto is not None and t.upto < t.seq:
        raise PayloadError("bad_schema", "upto must not be below seq")
    obj = {"boot": t.boot, "seq": t.seq, "ts": t.ts, "metrics": dict(t.metrics)}
    if t.upto is not None:
        obj["upto"] = t.upto
    return _clock(obj, t.tq, t.mono)


def _event_obj(e: Event) -> dict:
    if not EVENT_TYPE.match(e.type):
        raise PayloadError("bad_type", "event types are dotted lower-case words")
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
    check_data({"detail": r.detail})
    return _dump({"v": SCHEMA_VERSION, "req_id": r.req_id, "name": r.name, "ok": r.ok,
                  "detail": r.detail})


def build_ack(a: Ack) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "seq": a.seq})


def build_central_status(c: CentralStatus) -> bytes:
    return _dump({"v": SCHEMA_VERSION, "online": c.online, "ts": c.ts,
                  "max_backlog_rate": c.max_backlog_rate})


def build_central_alerts(c: CentralAlerts) -> bytes:
    """Open alerts; if they do not all fit in one payload, the oldest-first prefix that does."""
    items = []
    for a in c.alerts:
        if not is_house_id(a.house) or not EVENT_TYPE.match(a.kind):
            raise PayloadError("bad_schema", "alert house or kind is malformed")
        _check_scalar(a.text, "text")
        _check_scalar(a.text_en, "text_en")
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
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
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
    boot = _get(obj, "boot", str)
    seq = _get(obj, "seq", int)
    ts = _get(obj, "ts", int)
    if seq < 1 or ts < 0 or len(boot) > 64:
        raise PayloadError("bad_schema", "seq must be positive, ts non-negative")
    tq = _get(obj, "tq", str, optional=True) or "ntp"
    if tq not in CLOCK_QUALITY:
        raise PayloadError("bad_schema", "tq must be ntp or none")
    mono = _get(obj, "mono", int, optional=True)
    return boot, seq, ts, tq, mono


def parse_status(raw: bytes, topic_house: str | None = None) -> Status:
    obj = _load(raw)
    oldest = _get(obj, "oldest", int, optional=True) or 0
    if oldest < 0:
        raise PayloadError("bad_schema", "oldest must not be negative")
    return Status(house=_house(obj, topic_house), online=_get(obj, "online", bool),
                  boot=_get(obj, "boot", str), ts=_get(obj, "ts", int),
                  version=_get(obj, "version", str, optional=True) or "",
                  reason=_get(obj, "reason", str, optional=True) or "", oldest=oldest)


def _telemetry_from(obj: dict, house: str) -> Telemetry:
    boot, seq, ts, tq, mono = _seq_ts(obj)
    metrics = _get(obj, "metrics", dict)
    check_metrics(metrics)
    upto = _get(obj, "upto", int, optional=True)
    if upto is not None and upto < seq:
        raise PayloadError("bad_schema", "upto must not be below seq")
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
    if not EVENT_TYPE.match(etype) or len(etype) > 64:
        raise PayloadError("bad_type", "event types are dotted lower-case words")
    data = _get(obj, "data", dict)
    check_data(data)
    return Event(house, boot, seq, ts, etype, data, tq, mono)


def parse_command(name: str, raw: bytes) -> Command:
    obj = _load(raw)
    req_id = _get(obj, "req_id", str)
    if not 0 < len(req_id) <= 64:
        raise PayloadError("bad_schema", "req_id must be 1-64 characters")
    expires_at = _get(obj, "expires_at", int, optional=True) or 0
    args = _get(obj, "args", dict, optional=True) or {}
    check_data(args, "args")
    return Command(name, req_id, expires_at, args)


def parse_cmd_result(raw: bytes) -> CommandResult:
    obj = _load(raw)
    return CommandResult(req_id=_get(obj, "req_id", str), name=_get(obj, "name", str),
                         ok=_get(obj, "ok", bool), detail=obj.get("detail"))


def parse_ack(raw: bytes) -> Ack:
    seq = _get(_load(raw), "seq", int)
    if seq < 0:
        raise PayloadError("bad_schema", "seq must not be negative")
    return Ack(seq)


def parse_central_status(raw: bytes) -> CentralStatus:
    obj = _load(raw)
    rate = _get(obj, "max_backlog_rate", (int, float), optional=True)
    return CentralStatus(online=_get(obj, "online", bool), ts=_get(obj, "ts", int),
                         max_backlog_rate=float(rate) if rate is not None else 5.0)


def parse_central_alerts(raw: bytes) -> CentralAlerts:
    obj = _load(raw)
    items = _get(obj, "alerts", list)
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("bad_schema", "alerts are objects")
        house, kind = _get(item, "house", str), _get(item, "kind", str)
        if not is_house_id(house) or not EVENT_TYPE.match(kind):
            raise PayloadError("bad_schema", "alert house or kind is malformed")
        out.append(AlertItem(house, kind, _get(item, "since", int), _get(item, "text", str),
                             _get(item, "text_en", str, optional=True) or ""))
    return CentralAlerts(_get(obj, "ts", int), tuple(out))


def parse_example(raw: bytes) -> bytes:
    """Re-build a documented example of the later payload kinds (docs/protocol.md test)."""
    obj = _load(raw)
    if "alerts" in obj:
        return build_central_alerts(parse_central_alerts(raw))
    if "rows" in obj:  # a history batch, shown uncompressed
        return history_json(obj.get("house", ""), parse_history(raw))
    raise PayloadError("bad_schema", "no parser for this example")
