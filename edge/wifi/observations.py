"""What Wi-Fi sources post onto the agent's queue: small immutable items.

Raw MACs exist only inside these in-memory items (hidden from repr, so a stray log line
cannot leak one); the feature turns them into pseudonyms as soon as it handles them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("edge.wifi.sources")


class SourceError(OSError):
    """A source cannot read its system right now; the message is safe to log (no MACs)."""


@dataclass(frozen=True)
class Station:
    """One associated station as a source reports it; every field but the MAC optional."""

    mac: str = field(repr=False)
    inactive_s: float | None = None
    connected_s: float | None = None
    rx_bytes: int | None = None  # from the station (upload)
    tx_bytes: int | None = None  # to the station (download)


@dataclass(frozen=True)
class Connected:
    source: str
    mac: str = field(repr=False)


@dataclass(frozen=True)
class Disconnected:
    source: str
    mac: str = field(repr=False)


@dataclass(frozen=True)
class Snapshot:
    """Every station a source sees right now (a complete list, not a delta)."""

    source: str
    stations: tuple[Station, ...] = ()


@dataclass(frozen=True)
class SourceHealth:
    """Posted on each transition of a source between working and failing."""

    source: str
    ok: bool
    detail: str = ""


WIFI_ITEMS = (Connected, Disconnected, Snapshot, SourceHealth)


class HealthReporter:
    """Posts SourceHealth and logs only on transitions (quiet logs: not on every poll)."""

    def __init__(self, name: str, post: Callable[[object], None]):
        self.name, self.post = name, post
        self.ok: bool | None = None

    def report(self, ok: bool, detail: str) -> None:
        if ok == self.ok:
            return
        if ok:
            log.info("wifi source %s: up", self.name)
        else:
            log.warning("wifi source %s: down (%s); retrying with backoff", self.name, detail)
        self.ok = ok
        self.post(SourceHealth(self.name, ok, detail))
