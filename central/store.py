"""Central's SQLite store: what the houses sent, idempotent on (house, seq).

One writer (the collector's writer thread) owns a `Store`; readers (web requests)
open their own read-only connections through `Store.reader()`.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from edge import contract

from .rollups import apply_rollups

SCHEMA = """
CREATE TABLE IF NOT EXISTS houses (
    house       TEXT PRIMARY KEY,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    online      INTEGER NOT NULL DEFAULT 0,
    reason      TEXT NOT NULL DEFAULT '',
    boot        TEXT NOT NULL DEFAULT '',
    status_ts   INTEGER NOT NULL DEFAULT 0,
    version     TEXT NOT NULL DEFAULT '',
    metrics     TEXT NOT NULL DEFAULT '{}',
    metrics_ts  INTEGER NOT NULL DEFAULT 0,
    acked_seq   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    house   TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL,
    tq      TEXT NOT NULL,
    mono    INTEGER,
    type    TEXT,
    body    TEXT NOT NULL,
    PRIMARY KEY (house, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (house, kind, ts);
CREATE TABLE IF NOT EXISTS status_log (
    house   TEXT NOT NULL,
    boot    TEXT NOT NULL,
    online  INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Received:
    """A validated message with the time central received it (unix ms)."""

    message: contract.Telemetry | contract.Event | contract.Status
    recv_ts: int


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable on commit barring OS crash
    db.execute("PRAGMA busy_timeout=5000")
    return db


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = connect(self.path)
        self.db.executescript(SCHEMA)
        self._local = threading.local()

    def reader(self) -> sqlite3.Connection:
        """A read-only connection for the calling thread."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, readonly=True)
        return db

    def write_batch(self, batch: list[Received]) -> dict[str, int]:
        """Store a batch in one transaction; returns the new ack watermark of each house touched."""
        db = self.db
        touched: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                msg = item.message
                self._ensure_house(msg.house, item.recv_ts)
                if isinstance(msg, contract.Status):
                    self._status(msg, item.recv_ts)
                    continue
                kind = "telemetry" if isinstance(msg, contract.Telemetry) else "event"
                body = msg.metrics if kind == "telemetry" else msg.data
                inserted = db.execute(
                    "INSERT OR IGNORE INTO messages (house, seq, kind, boot, ts, recv_ts, tq, mono,"
                    " type, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (msg.house, msg.seq, kind, msg.boot, msg.ts, item.recv_ts, msg.tq, msg.mono,
                     getattr(msg, "type", None), json.dumps(body, ensure_ascii=False))).rowcount
                db.execute("UPDATE houses SET last_seen = max(last_seen, ?) WHERE house = ?",
                           (item.recv_ts, msg.house))
                if inserted and kind == "telemetry":
                    db.execute("UPDATE houses SET metrics = ?, metrics_ts = ? "
                               "WHERE house = ? AND metrics_ts <= ?",
                               (json.dumps(dict(msg.metrics), ensure_ascii=False), msg.ts,
                                msg.house, msg.ts))
                touched.add(msg.house)
            apply_rollups(db, batch)
            marks = {house: self._advance_ack(house) for house in touched}
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return marks

    def _ensure_house(self, house: str, now_ms: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO houses (house, first_seen, last_seen) VALUES (?,?,?)",
                        (house, now_ms, now_ms))

    def _status(self, s: contract.Status, recv_ts: int) -> None:
        current = self.db.execute("SELECT boot, online, status_ts FROM houses WHERE house = ?",
                                  (s.house,)).fetchone()
        # A will from an earlier boot must not mark a house offline that came back since.
        stale = (not s.online and current[0] and current[0] != s.boot and current[1])
        self.db.execute("INSERT INTO status_log VALUES (?,?,?,?,?,?)",
                        (s.house, s.boot, int(s.online), s.reason, s.ts, recv_ts))
        if stale:
            return
        self.db.execute(
            "UPDATE houses SET online = ?, reason = ?, boot = ?, status_ts = ?, version = ?, "
            "last_seen = max(last_seen, ?) WHERE house = ?",
            (int(s.online), s.reason, s.boot, s.ts, s.version or current_version(self.db, s.house),
             recv_ts, s.house))

    def _advance_ack(self, house: str) -> int:
        """Highest seq such that every seq from the house's first one up to it is stored."""
        (acked,) = self.db.execute("SELECT acked_seq FROM houses WHERE house = ?",
                                   (house,)).fetchone()
        if acked == 0:
            first = self.db.execute("SELECT min(seq) FROM messages WHERE house = ?",
                                    (house,)).fetchone()[0]
            acked = (first or 1) - 1
        while True:
            rows = self.db.execute("SELECT seq FROM messages WHERE house = ? AND seq > ? "
                                   "ORDER BY seq LIMIT 1000", (house, acked)).fetchall()
            contiguous = [seq for i, (seq,) in enumerate(rows) if seq == acked + 1 + i]
            if contiguous:
                acked = contiguous[-1]
            if len(contiguous) < 1000:
                break
        self.db.execute("UPDATE houses SET acked_seq = ? WHERE house = ?", (acked, house))
        return acked

    def acked(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT house, acked_seq FROM houses"))

    def close(self) -> None:
        self.db.close()


def current_version(db: sqlite3.Connection, house: str) -> str:
    row = db.execute("SELECT version FROM houses WHERE house = ?", (house,)).fetchone()
    return row[0] if row else ""


def list_houses(db: sqlite3.Connection) -> list[dict]:
    """Every house with its state and latest metrics, for the API and the page."""
    rows = db.execute("SELECT house, first_seen, last_seen, online, reason, boot, status_ts, "
                      "version, metrics, metrics_ts, acked_seq FROM houses ORDER BY house")
    return [{"house": r[0], "first_seen": r[1], "last_seen": r[2], "online": bool(r[3]),
             "offline_reason": r[4] if not r[3] else "", "boot": r[5], "status_ts": r[6],
             "version": r[7], "metrics": json.loads(r[8]), "metrics_ts": r[9], "acked_seq": r[10]}
            for r in rows]
