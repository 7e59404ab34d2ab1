"""The durable outbox: every telemetry sample and event is written here before it is sent.

SQLite in WAL mode on the Pi's SD card. `seq` is the row id (AUTOINCREMENT, so never
reused, also after deletes and power cuts); rows leave only when central's ack covers
them. Owned by the agent's main thread.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL CHECK (kind IN ('telemetry', 'event')),
    boot  TEXT NOT NULL,
    ts    INTEGER NOT NULL,
    mono  INTEGER,
    tq    TEXT NOT NULL DEFAULT 'ntp',
    type  TEXT,
    body  TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Row:
    seq: int
    kind: str
    boot: str
    ts: int
    mono: int | None
    tq: str
    type: str | None
    body: Mapping[str, Any]


class Outbox:
    """Append, read in seq order, delete up to an acknowledged seq."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed event survives a power cut, at one fsync per batched commit.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self._in_tx = False

    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def append(self, kind: str, boot: str, ts: int, body: Mapping[str, Any], *,
               type: str | None = None, mono: int | None = None, tq: str = "ntp") -> int:
        """Add a row inside the open batch; returns its seq. Call commit() to make it durable."""
        self._begin()
        cur = self.db.execute(
            "INSERT INTO outbox (kind, boot, ts, mono, tq, type, body) VALUES (?,?,?,?,?,?,?)",
            (kind, boot, ts, mono, tq, type,
             json.dumps(body, ensure_ascii=False, separators=(",", ":"))))
        return cur.lastrowid

    def commit(self) -> None:
        """End the batch: one write to the card for everything appended since the last one."""
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def after(self, seq: int, limit: int) -> list[Row]:
        """Committed rows with seq > `seq`, oldest first."""
        rows = self.db.execute(
            "SELECT seq, kind, boot, ts, mono, tq, type, body FROM outbox WHERE seq > ? "
            "ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        return [Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows]

    def delete_upto(self, seq: int) -> int:
        """Forget rows central has stored; returns how many went."""
        if not self.db.execute("SELECT 1 FROM outbox WHERE seq <= ? LIMIT 1", (seq,)).fetchone():
            return 0  # nothing to forget: no write to the card
        self._begin()
        return self.db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,)).rowcount

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def last_seq(self) -> int:
        """The highest seq ever handed out (also after its row was deleted)."""
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
        return row[0] if row else 0

    def close(self) -> None:
        self.commit()
        self.db.close()
