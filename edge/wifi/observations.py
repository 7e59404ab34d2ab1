"""What Wi-Fi sources post onto the agent's queue: small immutable items.

Raw MACs exist only inside these in-memory items (hidden from repr, so a stray log line
cannot leak one); the feature turns them into pseudonyms as soon as it handles them.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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
