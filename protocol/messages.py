"""The contract's messages as frozen values (what builders take and parsers return).
Pure: standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Status:
    house: str
    online: bool
    boot: str
    ts: int
    version: str = ""
    reason: str = ""  # "" while online; "stopped" on a clean stop; "lost" in the will
    oldest: int = 0  # oldest seq still in the edge's outbox (next seq if empty); 0 = unsaid
    epoch: str = ""  # the outbox's random id ("" = an outbox older than epochs)


@dataclass(frozen=True)
class Sample:
    """One raw sample a roll-up stands for: what central counts it by, as if it had arrived."""

    seq: int
    ts: int
    values: Mapping[str, Any] = field(default_factory=dict)  # its gauges named in ROLLUP_SERIES
    mono: int | None = None  # while the clock was unsynchronised


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
    epoch: str = ""  # the outbox this row comes from: (house, epoch, seq) identifies it
    samples: tuple[Sample, ...] = ()  # a roll-up's raw samples, oldest first
    full: bool = False  # carries every metric; else only those changed since the last sample


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
    epoch: str = ""


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
    epoch: str = ""  # the outbox the watermark belongs to: an edge ignores another's


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

