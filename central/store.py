"""Central's store: what the houses sent, idempotent on (house, epoch, seq), in SQLite or
PostgreSQL (central/database.py; the SQL here is the same for both).

One writer (the collector's writer thread) owns a `Store`; readers (web requests)
open their own read-only connections through `Store.reader()` or `Store.open_reader()`. The write side also keeps
an ack watermark per house and outbox epoch (never past a seq not stored), expands a
roll-up into the samples it stands for (storing only those it lacks), and re-times samples
taken before the house's clock was synchronised (tq "none" becomes "retimed"). Which rows
are new (what the roll-ups count) comes from each insert's own answer, never a read-back.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path

import protocol
from . import database, latest, watermarks
from .database import connect, insert_messages, is_postgres
from .rollups import NewRow, apply_rollups, expand_rollup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """A validated message with the time central received it (unix ms)."""

    message: protocol.Telemetry | protocol.Event | protocol.Status
    recv_ts: int


class Store:
    def __init__(self, location: str | Path, password: str = "", partition: str = "month",
                 keep_s: float = 0.0):
        """`location`: a SQLite file's path or a postgresql:// URL (then `password`, the
        partition unit and retention apply)."""
        self.path = location if is_postgres(location) else Path(location)
        self.password, self.partition, self.keep_s = password, partition, keep_s
        self.db = connect(self.path, password=password)
        self._local = threading.local()
        self._readers: list = []
        self._lock = threading.Lock()
        self._new_anchors: list[tuple] = []
        self._anchors: dict[tuple[str, str], tuple[int, int]] = {}  # this batch's, by boot
        self.maintain(int(time.time() * 1000))

    @property
    def dialect(self) -> str:
        return database.dialect(self.db)

    def open_reader(self):
        """A new read-only connection, closed with the store."""
        db = connect(self.path, readonly=True, password=self.password)
        with self._lock:
            self._readers.append(db)
        return db

    def reader(self):
        """A read-only connection for the calling thread."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self.open_reader()
        return db

    def maintain(self, now_ms: int) -> None:
        """PostgreSQL: make the coming partitions, drop those past retention (SQLite: none)."""
        if not is_postgres(self.path):
            return
        from . import postgres
        postgres.ensure_partitions(self.db, now_ms, self.partition)
        if self.keep_s > 0:
            postgres.drop_before(self.db, now_ms - int(self.keep_s * 1000))

    def write_batch(self, batch: list[Received]) -> dict[str, int]:
        """Store a batch in one transaction; returns the new ack watermark of each house
        touched (of the epoch its latest status announced)."""
        db = self.db
        touched: dict[tuple[str, str], None] = {}  # (house, epoch) whose watermark may move
        db.execute("BEGIN IMMEDIATE")
        try:
            self._anchors = {}
            first_seen: dict[str, int] = {}
            last_seen: dict[str, int] = {}
            samples: list[protocol.Telemetry] = []
            for item in batch:  # houses first: a status may need its row
                house = item.message.house
                first_seen.setdefault(house, item.recv_ts)
                last_seen[house] = max(last_seen.get(house, 0), item.recv_ts)
            db.executemany("INSERT INTO houses (house, first_seen, last_seen) VALUES (?,?,?) "
                           "ON CONFLICT DO NOTHING", [(h, t, t) for h, t in first_seen.items()])
            new: list[NewRow] = []  # what this batch stored first: all the roll-ups count
            run: list[tuple] = []  # plain rows in a row: stored with one statement
            for item in batch:
                msg = item.message
                touched[(msg.house, msg.epoch)] = None  # a status's `oldest` may move it too
                if isinstance(msg, protocol.Status):
                    self._status(msg, item.recv_ts)
                    continue
                rollup = isinstance(msg, protocol.Telemetry) and msg.upto is not None
                if isinstance(msg, protocol.Telemetry):
                    samples.append(msg)
                if not rollup:
                    run.append((msg, item.recv_ts))
                    continue
                new += self._insert(run)  # a roll-up looks at what is held before it
                run = []
                new += self._insert([(row, item.recv_ts) for row in (
                    self._missing_samples(msg) if msg.samples else [msg])])
                # The span counts as stored, also where central held part of it.
                db.execute("UPDATE messages SET upto = max(coalesce(upto, seq), ?) "
                           "WHERE house = ? AND epoch = ? AND seq = ?",
                           (msg.upto, msg.house, msg.epoch, msg.seq))
            new += self._insert(run)
            db.executemany("UPDATE messages SET ts = ? + (mono - ?), tq = 'retimed' WHERE "
                           "house = ? AND boot = ? AND tq = 'none' AND mono IS NOT NULL",
                           self._new_anchors)
            anchors = {(house, boot): (ts, mono) for ts, mono, house, boot in self._new_anchors}
            self._new_anchors.clear()
            db.executemany("UPDATE houses SET last_seen = max(last_seen, ?) WHERE house = ?",
                           [(ts, house) for house, ts in last_seen.items()])
            latest.record(db, samples)  # report-by-exception: state per (house, metric)
            apply_rollups(db, [retimed(row, anchors) for row in new])
            before = watermarks.stored(db, list(touched))
            after = watermarks.advance(db, before)
            db.executemany("INSERT INTO watermarks (house, epoch, acked_seq) VALUES (?,?,?) "
                           "ON CONFLICT (house, epoch) DO UPDATE "
                           "SET acked_seq = max(watermarks.acked_seq, excluded.acked_seq)",
                           [(*pair, seq) for pair, seq in after.items() if seq != before[pair]])
            marks = watermarks.shown(db, list({h: None for h, _ in touched}))
            db.execute("COMMIT")
        except BaseException:
            self._new_anchors.clear()
            if db.in_transaction:  # SQLite rolls some back itself (disk full): keep its error
                db.execute("ROLLBACK")
            raise
        return marks

    def _insert(self, rows: list[tuple]) -> list[NewRow]:
        """Store telemetry and event rows, (message, recv_ts), unless their (house, epoch,
        seq) is there already, in one statement per 500; the rows stored first, as stored
        (the first of duplicates within `rows`)."""
        self._load_anchors([msg for msg, _ in rows])
        new = []
        for i in range(0, len(rows), 500):
            part, params = [], []
            for msg, recv_ts in rows[i:i + 500]:
                if isinstance(msg, protocol.Telemetry):
                    kind, body, upto, type_ = "telemetry", msg.metrics, msg.upto, None
                else:
                    kind, body, upto, type_ = "event", msg.data, None, msg.type
                ts, tq = self._retime(msg)
                part.append(NewRow(msg, recv_ts, ts, tq))
                params += (msg.house, msg.epoch, msg.seq, kind, msg.boot, ts, recv_ts, tq,
                           msg.mono, type_, json.dumps(body, ensure_ascii=False), upto)
            got = set(map(tuple, self.db.execute(*insert_messages(self.dialect, params))))
            for row in part:
                key = (row.message.house, row.message.epoch, row.message.seq)
                if key in got:  # a replay, or a duplicate later in the batch, changes nothing
                    got.discard(key)
                    new.append(row)
        return new

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

    def _load_anchors(self, rows: list) -> None:
        """Store the clock anchors among `rows` (synchronised, with mono: the first of a boot
        re-times it) and read those the unsynchronised ones need, into self._anchors."""
        fresh = {}
        for m in rows:
            if m.mono is not None and m.tq == "ntp" and (m.house, m.boot) not in self._anchors:
                fresh.setdefault((m.house, m.boot), (m.ts, m.mono))
        if fresh:
            added = self.db.execute(
                "INSERT INTO clock_anchors (house, boot, ts, mono) VALUES "
                + ", ".join(["(?,?,?,?)"] * len(fresh)) + " ON CONFLICT DO NOTHING "
                "RETURNING house, boot, ts, mono",
                [x for key, anchor in fresh.items() for x in (*key, *anchor)]).fetchall()
            # Rows of these boots stored earlier are re-timed once the batch is in.
            self._new_anchors += [(ts, mono, house, boot) for house, boot, ts, mono in added]
        wanted = list({(m.house, m.boot): None for m in rows if m.mono is not None
                       and (m.house, m.boot) not in self._anchors})
        for i in range(0, len(wanted), 300):
            part = wanted[i:i + 300]
            self._anchors.update(((h, b), (ts, mono)) for h, b, ts, mono in self.db.execute(
                "SELECT house, boot, ts, mono FROM clock_anchors WHERE (house, boot) IN "
                f"(VALUES {', '.join(['(?, ?)'] * len(part))})", [x for k in part for x in k]))

    def _retime(self, msg) -> tuple[int, str]:
        """(ts, tq) to store: an anchor (synchronised row with mono) re-times its boot."""
        anchor = self._anchors.get((msg.house, msg.boot))
        if msg.mono is None or msg.tq == "ntp" or anchor is None:
            return msg.ts, msg.tq
        return anchor[0] + (msg.mono - anchor[1]), "retimed"

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
                        "ON CONFLICT (house, epoch) DO UPDATE "
                        "SET acked_seq = max(watermarks.acked_seq, excluded.acked_seq)",
                        (house, epoch, seq))

    def raise_floor(self, house: str, seq: int, epoch: str | None = None) -> None:
        """The house holds nothing at or below `seq` of that outbox epoch (default: its
        current one) any more: nothing to wait for there."""
        epoch = self.epoch_of(house) if epoch is None else epoch
        if seq > self.watermark(house, epoch):
            self._set_watermark(house, epoch, seq)
            watermarks.shown(self.db, [house])  # what readers show

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
        with self._lock:
            readers, self._readers = self._readers, []
        for db in readers:
            try:
                db.close()
            except database.ERRORS:  # another thread's; it is going away anyway
                pass
        self.db.close()


def retimed(row: NewRow, anchors: dict[tuple[str, str], tuple[int, int]]) -> NewRow:
    """A row stored unsynchronised before its boot's anchor arrived in the same batch."""
    anchor = anchors.get((row.message.house, row.message.boot))
    if row.tq != "none" or anchor is None or row.message.mono is None:
        return row
    return replace(row, ts=anchor[0] + (row.message.mono - anchor[1]), tq="retimed")


def current_version(db, house: str) -> str:
    row = db.execute("SELECT version FROM houses WHERE house = ?", (house,)).fetchone()
    return row[0] if row else ""
