"""Per-message isolation of central's batch writes, and what a stalled ingest looks like.

`write_isolated` stores a batch in as few transactions as it can: the whole batch first;
when that fails because of what a message holds, the batch is split until the message is
alone, and a stand-in is stored in its place. A failure of the database itself (locked,
full, read-only, unreadable) stops it: what is left is retried later, never rejected.
Pure: standard library and central.database (which errors mean the database failed; sqlite3
through it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence, TypeVar

from .database import is_unavailable

T = TypeVar("T")
STALL_AFTER = 3  # failed attempts in a row before ingest is called stalled
RETRY_FIRST, RETRY_MOST = 0.2, 5.0  # seconds between attempts: doubling, capped


def is_systemic(exc: BaseException) -> bool:
    """The database failed, not the message: locked, full, read-only, I/O, corrupt, memory.

    sqlite3's OperationalError and a bare DatabaseError are what SQLite reports about
    itself, psycopg's OperationalError what PostgreSQL does (central/database.py); what a
    value causes (a string that cannot be encoded, an int too large, a roll-up's date out
    of range) surfaces as ValueError, OverflowError, IntegrityError, DataError or
    InterfaceError.
    """
    return is_unavailable(exc)


def describe(exc: BaseException) -> str:
    """A short reason for logs and /healthz: SQLite's own words, never a stored value."""
    if not is_systemic(exc):
        return type(exc).__name__
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]  # one line (libpq's have two)


@dataclass
class Outcome:
    """What `write_isolated` did: watermarks, rows written, rows rejected, rows left over."""

    marks: dict = field(default_factory=dict)
    stored: list = field(default_factory=list)  # stand-ins included
    failed: list = field(default_factory=list)  # (item, exception) stored neither way
    left: list = field(default_factory=list)  # not tried because the database failed
    error: BaseException | None = None  # that failure


def write_isolated(write: Callable[[list[T]], dict], batch: Sequence[T],
                   substitute: Callable[[T, BaseException], T | None]) -> Outcome:
    """Write `batch`; a message that still fails alone is replaced by `substitute`'s stand-in
    (None: nothing takes its place). Stops at the first failure of the database itself, and
    when a stand-in fails too: that is no longer about one message (a bug, most likely), and
    holding the batch is safer than rejecting every message one by one."""
    out = Outcome()
    todo: list[list[T]] = [list(batch)] if batch else []  # a stack: the next part last
    stands_for: dict[int, T] = {}  # id of a stand-in written below -> the message it replaces
    while todo:
        part = todo.pop()
        try:
            out.marks.update(write(part))
        except Exception as exc:  # noqa: BLE001 - sorted here; nothing escapes as an exception
            original = stands_for.get(id(part[0])) if len(part) == 1 else None
            if is_systemic(exc) or original is not None:
                if original is not None:  # its stand-in is the very next try: undo the reject
                    out.failed.pop()
                    part = [original]
                out.left = part + [item for rest in reversed(todo) for item in rest]
                out.error = exc
                return out
            if len(part) > 1:
                half = len(part) // 2
                todo += [part[half:], part[:half]]
                continue
            out.failed.append((part[0], exc))
            stand_in = substitute(part[0], exc)
            if stand_in is not None:
                stands_for[id(stand_in)] = part[0]
                todo.append([stand_in])
            continue
        out.stored += part
    return out


def retry_delay(failures: int) -> float:
    """Seconds to wait before the next attempt after `failures` failed ones in a row."""
    return min(RETRY_MOST, RETRY_FIRST * 2 ** max(0, failures - 1))


@dataclass(frozen=True)
class Stall:
    """Ingest cannot store: since when (unix ms), why, how many messages wait unacked."""

    since: int
    reason: str
    held: int


class StallWatch:
    """Failed attempts in a row: when to try again, and when ingest counts as stalled."""

    def __init__(self) -> None:
        self.failures = 0
        self.retry_at = 0.0  # monotonic seconds
        self.stall: Stall | None = None

    def failed(self, exc: BaseException, held: int, mono: float, wall_ms: int) -> bool:
        """One more failed attempt; True when ingest has just become stalled."""
        self.failures += 1
        self.retry_at = mono + retry_delay(self.failures)
        reason = describe(exc) if is_systemic(exc) else f"{describe(exc)} (in a stand-in too)"
        if self.stall is not None:
            self.stall = Stall(self.stall.since, reason, held)
        elif self.failures >= STALL_AFTER:
            self.stall = Stall(wall_ms, reason, held)
            return True
        return False

    def succeeded(self) -> Stall | None:
        """An attempt stored everything; returns the stall this ends, if any."""
        ended, self.stall, self.failures = self.stall, None, 0
        return ended
