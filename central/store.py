"""Central's SQLite store: what the houses sent, idempotent on (house, epoch, seq).

One writer (the collector's writer thread) owns a `Store`; readers (web requests)
open their own read-only connections through `Store.reader()`. The write side also keeps
an ack watermark per house and outbox epoch (never past a seq not stored), expands a
roll-up into the samples it stands for (storing only those it lacks), and re-times samples
taken before the house's clock was synchronised (tq "none" becomes "retimed"). Which rows
are new (what the roll-ups count) comes from each insert's own answer, never a read-back.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path

import protocol
from common.db import open_db

from . import latest
from .rollups import NewRow, apply_rollups, expand_rollup
from .schema import MIGRATIONS


@dataclass(frozen=True)
class Received:
    """A validated message with the time central received it (unix ms)."""

    message: protocol.Telemetry | protocol.Event | protocol.Status
    recv_ts: int


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """Central's database: the migrated writer's connection, or a reader's."""
    # WAL + NORMAL: durable on commit barring an OS crash.
    return open_db(path, MIGRATIONS, synchronous="NORMAL", readonly=readonly)


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = connect(self.path)
        self._local = threading.local()
        self._new_anchors: list[tuple] = []

    def reader(self) -> sqlite3.Connection:
        """A read-only connection for the calling thread."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, readonly=True)
        return db

    def write_batch(self, batch: list[Received]) -> dict[str, int]:
        """Store a batch in one transaction; returns the new ack watermark of each house
        touched (of the epoch its latest status announced)."""
        db = self.db
        touched: set[tuple[str, str]] = set()  # (house, epoch) whose watermark may move
        db.execute("BEGIN IMMEDIATE")
        try:
            last_seen: dict[str, int] = {}
            samples: list[protocol.Telemetry] = []
            for item in batch:  # houses first: a status may need its row
                house = item.message.house
                if house not in last_seen:
                    self._ensure_house(house, item.recv_ts)
                last_seen[house] = max(last_seen.get(house, 0), item.recv_ts)
            new: list[NewRow] = []  # what this batch stored first: all the roll-ups count
            for item in batch:
                msg = item.message
                touched.add((msg.house, msg.epoch))  # a status's `oldest` may move it too
                if isinstance(msg, protocol.Status):
                    self._status(msg, item.recv_ts)
                    continue
                rollup = isinstance(msg, protocol.Telemetry) and msg.upto is not None
                if isinstance(msg, protocol.Telemetry):
                    samples.append(msg)
                for row in self._missing_samples(msg) if rollup and msg.samples else [msg]:
                    stored = self._insert(row, item.recv_ts)
                    if stored:  # a replay or a duplicate within the batch changes nothing
                        new.append(NewRow(row, item.recv_ts, *stored))
                if rollup:  # the span counts as stored, also where central held part of it
                    db.execute("UPDATE messages SET upto = max(coalesce(upto, seq), ?) "
                               "WHERE house = ? AND epoch = ? AND seq = ?",
                               (msg.upto, msg.house, msg.epoch, msg.seq))
            db.executemany("UPDATE messages SET ts = ? + (mono - ?), tq = 'retimed' WHERE "
                           "house = ? AND boot = ? AND tq = 'none' AND mono IS NOT NULL",
                           self._new_anchors)
            anchors = {(house, boot): (ts, mono) for ts, mono, house, boot in self._new_anchors}
            self._new_anchors.clear()
            db.executemany("UPDATE houses SET last_seen = max(last_seen, ?) WHERE house = ?",
                           [(ts, house) for house, ts in last_seen.items()])
            latest.record(db, samples)  # report-by-exception: state per (house, metric)
            apply_rollups(db, [retimed(row, anchors) for row in new])
            for house, epoch in touched:
                self._advance_ack(house, epoch)
            marks = {house: self._show_ack(house) for house in {h for h, _ in touched}}
            db.execute("COMMIT")
        except BaseException:
            self._new_anchors.clear()
            if db.in_transaction:  # SQLite rolls some back itself (disk full): keep its error
                db.execute("ROLLBACK")
            raise
        return marks

    def _insert(self, msg, recv_ts: int) -> tuple[int, str] | None:
        """Store one telemetry or event row unless (house, epoch, seq) is there already;
        its (ts, tq) as stored when it is new, else None."""
        if isinstance(msg, protocol.Telemetry):
            kind, body, upto, type_ = "telemetry", msg.metrics, msg.upto, None
        else:
            kind, body, upto, type_ = "event", msg.data, None, msg.type
        ts, tq = self._retime(msg)
        stored = self.db.execute(
            "INSERT INTO messages (house, epoch, seq, kind, boot, ts, recv_ts, tq, mono, type, "
            "body, upto) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            (msg.house, msg.epoch, msg.seq, kind, msg.boot, ts, recv_ts, tq, msg.mono, type_,
             json.dumps(body, ensure_ascii=False), upto)).rowcount
        return (ts, tq) if stored else None

    def _missing_samples(self, rollup: protocol.Telemetry) -> list[protocol.Telemetry]:
        """A roll-up's samples as the rows they were, without those central holds already
        (stored raw, or inside a roll-up stored before): a partly delivered span is filled
        exactly, never counted twice."""
        spans = sorted(self.db.execute(  # what is held in the span, and what reaches into it
            "SELECT seq, coalesce(upto, seq) FROM messages WHERE house = ? AND epoch = ? AND "
            "seq BETWEEN ? AND ? UNION ALL SELECT seq, upto FROM messages WHERE house = ? AND "
            "epoch = ? AND upto >= ? AND seq < ?",
            (rollup.house, rollup.epoch, rollup.seq, rollup.upto, rollup.house, rollup.epoch,
             rollup.seq, rollup.seq)))
        starts = [low for low, _ in spans]
        reach = list(accumulate((high for _, high in spans), max))  # furthest held so far
        return [row for row in expand_rollup(rollup)
                if not (i := bisect_right(starts, row.seq)) or reach[i - 1] < row.seq]

    def ack_help(self, house: str, user: str, at_ms: int) -> tuple[int, int | None]:
        """Acknowledge a house's open HELP requests stored by `at_ms` (what the operator saw).

        Returns (how many, the newest one's number at the house). The writer thread's only
        write on the web side's behalf: HELP has one writer.
        """
        rows = self.db.execute(
            "UPDATE help_requests SET acked_ts = ?, acked_by = ? WHERE house = ? AND "
            "acked_ts IS NULL AND recv_ts <= ? RETURNING seq, request",
            (at_ms, user, house, at_ms)).fetchall()
        return len(rows), max(rows)[1] if rows else None

    def _retime(self, msg) -> tuple[int, str]:
        """(ts, tq) to store: an anchor (synchronised row with mono) re-times its boot."""
        if msg.mono is None:
            return msg.ts, msg.tq
        if msg.tq == "ntp":
            added = self.db.execute("INSERT OR IGNORE INTO clock_anchors VALUES (?,?,?,?)",
                                    (msg.house, msg.boot, msg.ts, msg.mono)).rowcount
            if added:  # rows of this boot stored earlier: re-timed once the batch is in
                self._new_anchors.append((msg.ts, msg.mono, msg.house, msg.boot))
            return msg.ts, msg.tq
        anchor = self.db.execute("SELECT ts, mono FROM clock_anchors WHERE house = ? AND boot = ?",
                                 (msg.house, msg.boot)).fetchone()
        if anchor is None:
            return msg.ts, msg.tq
        return anchor[0] + (msg.mono - anchor[1]), "retimed"

    def _ensure_house(self, house: str, now_ms: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO houses (house, first_seen, last_seen) VALUES (?,?,?)",
                        (house, now_ms, now_ms))

    def _status(self, s: protocol.Status, recv_ts: int) -> None:
        current = self.db.execute("SELECT boot, online, status_ts FROM houses WHERE house = ?",
                                  (s.house,)).fetchone()
        # A will from an earlier boot must not mark a house offline that came back since.
        stale = (not s.online and current[0] and current[0] != s.boot and current[1])
        self.db.execute("INSERT INTO status_log VALUES (?,?,?,?,?,?)",
                        (s.house, s.boot, int(s.online), s.reason, s.ts, recv_ts))
        if s.oldest:
            self.raise_floor(s.house, s.oldest - 1, s.epoch)
        if stale:
            return
        # The epoch a house's latest status announces is the one central acknowledges.
        self.db.execute(
            "UPDATE houses SET online = ?, reason = ?, boot = ?, status_ts = ?, version = ?, "
            "epoch = ?, last_seen = max(last_seen, ?) WHERE house = ?",
            (int(s.online), s.reason, s.boot, s.ts, s.version or current_version(self.db, s.house),
             s.epoch, recv_ts, s.house))

    def epoch_of(self, house: str) -> str:
        """The outbox epoch the house's latest status announced ("" before epochs)."""
        row = self.db.execute("SELECT epoch FROM houses WHERE house = ?", (house,)).fetchone()
        return row[0] if row else ""

    def watermark(self, house: str, epoch: str) -> int:
        row = self.db.execute("SELECT acked_seq FROM watermarks WHERE house = ? AND epoch = ?",
                              (house, epoch)).fetchone()
        return row[0] if row else 0

    def _set_watermark(self, house: str, epoch: str, seq: int) -> None:
        self.db.execute("INSERT INTO watermarks (house, epoch, acked_seq) VALUES (?,?,?) "
                        "ON CONFLICT DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)",
                        (house, epoch, seq))

    def raise_floor(self, house: str, seq: int, epoch: str | None = None) -> None:
        """The house holds nothing at or below `seq` of that outbox epoch (default: its
        current one) any more: nothing to wait for there."""
        epoch = self.epoch_of(house) if epoch is None else epoch
        if seq > self.watermark(house, epoch):
            self._set_watermark(house, epoch, seq)
            self._show_ack(house)

    def _show_ack(self, house: str) -> int:
        """Copy the current epoch's watermark to houses.acked_seq (what readers show)."""
        acked = self.watermark(house, self.epoch_of(house))
        self.db.execute("UPDATE houses SET acked_seq = ? WHERE house = ? AND acked_seq != ?",
                        (acked, house, acked))
        return acked

    def _advance_ack(self, house: str, epoch: str) -> int:
        """Highest seq of (house, epoch) such that every seq from 1 (or the declared floor)
        is stored, a roll-up covering seq..upto.

        Never guesses a start from the first seq seen: after an outage that is a live
        sample, with the backlog below it still to come.
        """
        start = acked = self.watermark(house, epoch)
        while True:
            (reach,) = self.db.execute(  # a roll-up starting within the run may reach past it
                "SELECT max(upto) FROM messages WHERE house = ? AND epoch = ? AND upto > ? "
                "AND seq <= ?", (house, epoch, acked, acked + 1)).fetchone()
            acked = max(acked, reach or 0)
            rows = self.db.execute("SELECT seq, coalesce(upto, seq) FROM messages WHERE "
                                   "house = ? AND epoch = ? AND seq > ? ORDER BY seq LIMIT 1000",
                                   (house, epoch, acked)).fetchall()
            for seq, upto in rows:
                if seq > acked + 1:
                    break
                acked = max(acked, upto)
            else:
                if len(rows) == 1000:
                    continue
            break
        if acked != start:
            self._set_watermark(house, epoch, acked)
        return acked

    def first_gap(self, house: str) -> tuple[int, int] | None:
        """The first range of seqs missing above the watermark of the house's current epoch,
        when later ones are stored."""
        epoch = self.epoch_of(house)
        acked = self.watermark(house, epoch)
        (above,) = self.db.execute("SELECT min(seq) FROM messages WHERE house = ? AND epoch = ? "
                                   "AND seq > ?", (house, epoch, acked + 1)).fetchone()
        if above is None:
            return None
        if self.db.execute("SELECT 1 FROM messages WHERE house = ? AND epoch = ? AND seq = ?",
                           (house, epoch, acked + 1)).fetchone():
            return None  # the watermark is about to move: not a gap
        return acked + 1, above - 1

    def acked(self) -> dict[str, int]:
        """Each house's watermark of its current epoch."""
        return dict(self.db.execute("SELECT house, acked_seq FROM houses"))

    def close(self) -> None:
        self.db.close()


def retimed(row: NewRow, anchors: dict[tuple[str, str], tuple[int, int]]) -> NewRow:
    """A row stored unsynchronised before its boot's anchor arrived in the same batch."""
    anchor = anchors.get((row.message.house, row.message.boot))
    if row.tq != "none" or anchor is None or row.message.mono is None:
        return row
    return replace(row, ts=anchor[0] + (row.message.mono - anchor[1]), tq="retimed")


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
