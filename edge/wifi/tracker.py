"""Session tracking: pseudonymous devices in, closed session parts out.

Time is passed in (edge.feature.Now); durations come from the monotonic clock, local
days from the wall clock and the house time zone.
Pure: standard library and edge.feature only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..feature import Now


@dataclass(frozen=True)
class Rules:
    grace: float = 60.0  # a reconnect within this continues the session
    missed: int = 2  # snapshots without the device that end its session
    idle: float = 600.0  # inactive longer than this ends the session
    reconcile: float = 120.0  # restored sessions unconfirmed this long are closed
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Sighting:
    """A device in a snapshot, already pseudonymous."""

    pid: str
    inactive_s: float | None = None
    connected_s: float | None = None
    randomized: bool = False


@dataclass(frozen=True)
class Part:
    """A closed session, or the part of one inside a local day."""

    pid: str
    day: str  # local date, ISO
    start_wall: float
    seconds: float
    randomized: bool
    infra: bool
    continued: bool = False  # began at midnight as the continuation of a session

    @property
    def end_wall(self) -> float:
        return self.start_wall + self.seconds


@dataclass(frozen=True)
class Opened:
    """A session began (continued=True: the same session entered a new local day)."""

    pid: str
    day: str
    start_wall: float
    randomized: bool
    continued: bool = False


@dataclass
class _Session:
    pid: str
    randomized: bool
    start_mono: float
    start_wall: float
    day: date
    last_seen: float  # mono
    seen_by: dict[str, int] = field(default_factory=dict)  # source -> missed snapshots
    pending_since: float | None = None  # mono of the disconnect, while in grace
    confirmed: bool = True
    reconcile_by: float = 0.0
    continued: bool = False
    evented: bool = False  # held by a connect event: present until told otherwise


class Tracker:
    """Open sessions per device; every method returns what opened and what closed."""

    def __init__(self, rules: Rules = Rules()):
        self.rules = rules
        self.tz = ZoneInfo(rules.timezone)
        self.infra: frozenset[str] = frozenset()
        self.open: dict[str, _Session] = {}
        self._idle: set[str] = set()
        self._last_end: dict[str, float] = {}  # mono end of each device's last session
        self._midnights: dict[date, float] = {}
        self.opened: list[Opened] = []
        self.closed: list[Part] = []

    # ----- inputs ------------------------------------------------------------------------

    def connect(self, pid: str, source: str, now: Now, randomized: bool = False) -> None:
        self._idle.discard(pid)
        s = self._settle(pid, now)
        if s is None:
            s = self._open(pid, now.mono, now, randomized)
        s.pending_since = None
        s.confirmed = True
        s.evented = True
        s.seen_by[source] = 0
        s.last_seen = now.mono

    def disconnect(self, pid: str, source: str, now: Now) -> None:
        self._idle.discard(pid)
        s = self._settle(pid, now)
        if s is None or s.pending_since is not None:
            return  # unknown device or a duplicate event: nothing changes
        s.seen_by.pop(source, None)
        if not s.seen_by or not s.confirmed:
            s.pending_since = now.mono

    def snapshot(self, source: str, sightings: list[Sighting], now: Now) -> None:
        """A complete list of the stations `source` sees now."""
        present = set()
        for sight in sightings:
            present.add(sight.pid)
            self._sighted(sight, source, now)
        for pid in list(self._idle - present):
            self._idle.discard(pid)
        for pid, s in list(self.open.items()):
            if pid in present or s.pending_since is not None:
                continue  # a pending session is decided by its grace period alone
            if not s.confirmed:
                self._close(s, s.last_seen)  # restored, but gone after the restart
            elif source in s.seen_by:
                s.seen_by[source] += 1
                if all(m >= self.rules.missed for m in s.seen_by.values()):
                    self._close(s, s.last_seen)

    def tick(self, now: Now) -> None:
        """Expire grace periods and restored sessions; split sessions at local midnight."""
        day_start = self._midnight_after(self.local_day(now.wall) - timedelta(days=1))
        for pid in list(self.open):
            s = self._settle(pid, now)
            if s is not None and s.pending_since is None and s.confirmed \
                    and s.start_wall < day_start:
                self._split(s, now.mono)

    def restore(self, pid: str, start_wall: float, last_seen_wall: float, randomized: bool,
                now: Now) -> None:
        """An open session saved before a restart, kept until a snapshot confirms it."""
        offset = now.wall - now.mono
        s = _Session(pid, randomized, start_wall - offset, start_wall,
                     self.local_day(start_wall), min(last_seen_wall, now.wall) - offset,
                     confirmed=False, reconcile_by=now.mono + self.rules.reconcile)
        self.open[pid] = s

    def saved_rows(self, now: Now) -> list[tuple[str, float, float, bool]]:
        """(pid, start_wall, last_seen_wall, randomized) of each open session, for a restart.

        A session an event source holds is known to last until now: a disconnect would
        have said otherwise.
        """
        offset = now.wall - now.mono
        return [(pid, s.start_wall,
                 now.wall if s.evented and s.confirmed and s.pending_since is None
                 else s.last_seen + offset, s.randomized) for pid, s in self.open.items()]

    def rename(self, mapping: dict[str, str], now: Now) -> None:
        """New pseudonyms after a key rotation; sessions of unknown devices are closed."""
        for pid, s in list(self.open.items()):
            if pid not in mapping:
                self._close(s, s.last_seen if s.pending_since is None else s.pending_since)
        self.open = {mapping[pid]: s for pid, s in self.open.items()}
        for pid, s in self.open.items():
            s.pid = pid
        self._idle = {mapping[p] for p in self._idle if p in mapping}
        self._last_end = {mapping[p]: t for p, t in self._last_end.items() if p in mapping}

    def drain(self) -> tuple[list[Opened], list[Part]]:
        """What opened and closed since the last drain."""
        out = (self.opened, self.closed)
        self.opened, self.closed = [], []
        return out

    # ----- figures -----------------------------------------------------------------------

    def clients(self) -> int:
        """Devices connected now (sessions not waiting out a disconnect), infrastructure excluded."""
        return sum(1 for s in self.open.values()
                   if s.pending_since is None and s.pid not in self.infra)

    def active_sessions(self) -> int:
        return sum(1 for s in self.open.values() if s.pid not in self.infra)

    def infrastructure_present(self) -> int:
        return sum(1 for s in self.open.values()
                   if s.pending_since is None and s.pid in self.infra)

    def oldest_open_day(self) -> str | None:
        """The earliest local day an open session still belongs to (rollups wait for it)."""
        days = [s.day for s in self.open.values()]
        return min(days).isoformat() if days else None

    def local_day(self, wall: float) -> date:
        return datetime.fromtimestamp(wall, self.tz).date()

    # ----- internals ---------------------------------------------------------------------

    def _midnight_after(self, day: date) -> float:
        wall = self._midnights.get(day)
        if wall is None:
            if len(self._midnights) > 64:
                self._midnights.clear()
            wall = self._midnights[day] = datetime.combine(
                day + timedelta(days=1), time(0), self.tz).timestamp()
        return wall

    def _settle(self, pid: str, now: Now) -> _Session | None:
        """The device's open session once expired timers are applied (so the outcome never
        depends on how often tick() runs)."""
        s = self.open.get(pid)
        if s is None:
            return None
        if s.pending_since is not None and now.mono - s.pending_since >= self.rules.grace:
            self._close(s, s.pending_since)
            return None
        if not s.confirmed and now.mono >= s.reconcile_by:
            self._close(s, s.last_seen)
            return None
        return s

    def _sighted(self, sight: Sighting, source: str, now: Now) -> None:
        inactive = max(0.0, sight.inactive_s or 0.0)
        s = self._settle(sight.pid, now)
        if inactive > self.rules.idle:
            if s is not None and s.pending_since is None:
                self._close(s, max(s.start_mono, now.mono - inactive))
            self._idle.add(sight.pid)
            return
        if s is None:
            start = now.mono - inactive if sight.pid in self._idle else (
                now.mono - sight.connected_s if sight.connected_s else now.mono)
            start = max(start, self._last_end.get(sight.pid, start))
            self._idle.discard(sight.pid)
            s = self._open(sight.pid, min(start, now.mono), now, sight.randomized)
        s.confirmed = True
        s.seen_by[source] = 0
        s.last_seen = now.mono

    def _open(self, pid: str, start_mono: float, now: Now, randomized: bool,
              continued: bool = False) -> _Session:
        start_wall = now.wall - (now.mono - start_mono)
        day = self.local_day(start_wall)
        s = _Session(pid, randomized, start_mono, start_wall, day, now.mono,
                     continued=continued)
        self.open[pid] = s
        self.opened.append(Opened(pid, day.isoformat(), start_wall, randomized, continued))
        return s

    def _split(self, s: _Session, until_mono: float) -> None:
        """Close the part of `s` in each local day that ended before `until_mono`."""
        while True:
            midnight = self._midnight_after(s.day)
            m = s.start_mono + (midnight - s.start_wall)
            if until_mono <= m:
                return
            self.closed.append(Part(s.pid, s.day.isoformat(), s.start_wall, m - s.start_mono,
                                    s.randomized, s.pid in self.infra, s.continued))
            s.start_mono, s.start_wall = m, midnight
            s.day, s.continued = self.local_day(midnight), True
            self.opened.append(Opened(s.pid, s.day.isoformat(), midnight, s.randomized, True))

    def _close(self, s: _Session, end_mono: float) -> None:
        end_mono = max(end_mono, s.start_mono)
        self._split(s, end_mono)
        self.open.pop(s.pid, None)
        self._last_end[s.pid] = end_mono
        self.closed.append(Part(s.pid, s.day.isoformat(), s.start_wall, end_mono - s.start_mono,
                                s.randomized, s.pid in self.infra, s.continued))

    def forget_before(self, mono: float) -> None:
        """Drop remembered session ends older than `mono` (bounded memory)."""
        self._last_end = {p: t for p, t in self._last_end.items() if t >= mono}
