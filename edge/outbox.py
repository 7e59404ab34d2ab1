"""The durable outbox: every telemetry sample and event is written here before it is sent.

SQLite in WAL mode on the Pi's SD card. `seq` is the row id (AUTOINCREMENT, so never
reused, also after deletes and power cuts); the file's random `epoch`, made with it, tells
its seqs from those of an earlier card. Rows leave only when central's ack for this epoch
covers them. Past the disk quota the oldest telemetry is rolled up in place, keeping what
central counts of every sample (events never go).
Pure: standard library, protocol and sqlite3 (through common.db) only.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import protocol
from common.db import open_db

log = logging.getLogger(__name__)
# Append-only (common/db.py): change the table by adding a step, never by editing one.
MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS outbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL CHECK (kind IN ('telemetry', 'event')),
    boot  TEXT NOT NULL,
    ts    INTEGER NOT NULL,
    mono  INTEGER,
    tq    TEXT NOT NULL DEFAULT 'ntp',
    type  TEXT,
    body  TEXT NOT NULL,
    upto  INTEGER,
    level INTEGER NOT NULL DEFAULT 0
);
""", """
CREATE TABLE outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- A file that already handed out seqs keeps the epoch those went out with: "" (before
-- epochs), so central never counts its unacknowledged rows twice. A new file gets its own.
INSERT INTO outbox_meta (key, value) VALUES ('epoch', CASE
    WHEN EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox') THEN ''
    ELSE lower(hex(randomblob(16))) END);
ALTER TABLE outbox ADD COLUMN samples TEXT;
""", """
-- A sample with every metric (1), or only those changed since the last sample (0). Rows
-- from before report-by-exception carried every metric but say 0: central then keeps
-- what it holds besides them, which is all it could do before.
ALTER TABLE outbox ADD COLUMN full_sample INTEGER NOT NULL DEFAULT 0;
""")
ROW_OVERHEAD = 48  # bytes a row costs besides its body (keys, page slack), for the quota
DEFAULT_QUOTA = 64 * 1024 * 1024
# Roll-up levels: (level, bucket in ms). Raw minutes -> 15 min -> 1 h -> 1 day.
LEVELS = ((1, 15 * 60_000), (2, 3_600_000), (3, 86_400_000))
# A rolled-up row's metrics and samples stay below this, so its payload (64 KiB at most)
# keeps room for the envelope and for metrics that differ between the merged samples.
MAX_ROLLUP_BYTES = 40_000
COLUMNS = ("seq, kind, boot, ts, mono, tq, type, body, upto, level, samples, length(body), "
           "full_sample")


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
    upto: int | None = None  # a roll-up stands for seq..upto
    level: int = 0
    samples: tuple[protocol.Sample, ...] = ()  # a roll-up's raw samples
    size: int = 0  # bytes of the body as stored
    full: bool = False  # a sample with every metric (a roll-up: its first sample was)


@dataclass(frozen=True)
class Merge:
    """Replace rows keep..upto by one roll-up kept at seq `keep`."""

    keep: int
    upto: int
    drop: tuple[int, ...]
    ts: int
    mono: int | None
    body: Mapping[str, Any]
    level: int
    samples: tuple[protocol.Sample, ...] = ()


def own_samples(row: Row) -> tuple[protocol.Sample, ...]:
    """The raw samples a row stands for: its roll-up's, or itself with the gauges central
    counts (a roll-up made before samples were kept counts as one)."""
    if row.samples:
        return row.samples
    gauges = {name: row.body[name] for name in protocol.ROLLUP_SERIES
              if isinstance(row.body.get(name), (int, float))
              and not isinstance(row.body[name], bool)}
    return (protocol.Sample(row.seq, row.ts, gauges, row.mono),)


def _mergeable(row: Row, level: int) -> bool:
    # An anchor (a synchronised row with mono) stays alone: central re-times its boot from it.
    return (row.kind == "telemetry" and row.level < level
            and not (row.tq == "ntp" and row.mono is not None))


def plan_rollups(rows: list[Row], level: int, bucket_ms: int) -> list[Merge]:
    """Merge runs of adjacent telemetry rows (same boot, clock and time bucket) below `level`.

    Pure. An event between two samples ends a run, so events keep their place and seq.
    Metric values are the last seen (counters are cumulative, so the last is right);
    `rollup.samples` says how many samples one row stands for, and the merged row keeps
    every sample's seq, time and gauges (protocol.Sample), up to MAX_ROLLUP_SAMPLES and
    MAX_ROLLUP_BYTES a row.
    """
    merges: list[Merge] = []
    run: list[Row] = []
    samples: list[protocol.Sample] = []
    cost = [0, 0]  # bytes of the samples, largest body

    def flush() -> None:
        if len(run) > 1:
            body: dict[str, Any] = {}
            count = 0
            for r in run:
                count += int(r.body.get("rollup.samples", 1))
                body.update(r.body)
            body["rollup.samples"] = count
            merges.append(Merge(run[0].seq, max(r.upto or r.seq for r in run),
                                tuple(r.seq for r in run[1:]), run[-1].ts, run[-1].mono, body,
                                level, tuple(samples)))
        run.clear()
        samples.clear()
        cost[:] = [0, 0]

    def take(row: Row) -> bool:
        """Add a row to the run if its samples fit; False (nothing added) when they do not."""
        more = own_samples(row)
        added = sum(protocol.sample_cost(prev, s)
                    for prev, s in zip([samples[-1] if samples else None, *more], more))
        if run and (len(samples) + len(more) > protocol.MAX_ROLLUP_SAMPLES
                    or cost[0] + added + max(cost[1], row.size) > MAX_ROLLUP_BYTES):
            return False
        run.append(row)
        samples.extend(more)
        cost[:] = [cost[0] + added, max(cost[1], row.size)]
        return True

    for row in rows:
        if (_mergeable(row, level) and run and (row.boot, row.tq, row.ts // bucket_ms)
                == (run[0].boot, run[0].tq, run[0].ts // bucket_ms) and take(row)):
            continue
        flush()
        if _mergeable(row, level):
            take(row)
    flush()
    return merges


class Outbox:
    """Append, read in seq order, delete up to an acknowledged seq."""

    def __init__(self, path: str | Path, quota_bytes: int = DEFAULT_QUOTA):
        self.path = Path(path)
        self.quota_bytes = quota_bytes
        # FULL: a committed event survives a power cut, at one fsync per batched commit.
        self.db = open_db(self.path, MIGRATIONS, synchronous="FULL")
        (self.epoch,) = self.db.execute(
            "SELECT value FROM outbox_meta WHERE key = 'epoch'").fetchone()
        self._in_tx = False
        self._over_quota_logged = False

    def _begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def append(self, kind: str, boot: str, ts: int, body: Mapping[str, Any], *,
               type: str | None = None, mono: int | None = None, tq: str = "ntp",
               full: bool = False) -> int:
        """Add a row inside the open batch; returns its seq. Call commit() to make it durable."""
        self._begin()
        cur = self.db.execute(
            "INSERT INTO outbox (kind, boot, ts, mono, tq, type, body, full_sample) "
            "VALUES (?,?,?,?,?,?,?,?)", (kind, boot, ts, mono, tq, type, _json(body), int(full)))
        return cur.lastrowid

    def commit(self) -> None:
        """End the batch: one write to the card for everything appended since the last one."""
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def _rows(self, where: str, args: tuple) -> list[Row]:
        rows = self.db.execute(f"SELECT {COLUMNS} FROM outbox WHERE {where}", args).fetchall()
        return [Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9],
                    self._samples(r[0], r[8], r[10]), r[11], bool(r[12])) for r in rows]

    def _samples(self, seq: int, upto: int | None, text: str | None) -> tuple:
        if text is None or upto is None:
            return ()
        try:
            return protocol.parse_samples(json.loads(text), seq, upto)
        except (ValueError, protocol.PayloadError):  # never seen: count it as one sample
            log.error("outbox row %d: its roll-up samples are unreadable", seq)
            return ()

    def after(self, seq: int, limit: int, upto: int | None = None) -> list[Row]:
        """Rows with seq > `seq` (and <= `upto` if given), oldest first."""
        if upto is None:
            return self._rows("seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return self._rows("seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (seq, upto, limit))

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

    def oldest(self) -> int:
        """The oldest seq still held; the next seq to be handed out when empty."""
        (low,) = self.db.execute("SELECT min(seq) FROM outbox").fetchone()
        return low if low is not None else self.last_seq() + 1

    def size_bytes(self) -> int:
        (size,) = self.db.execute(f"SELECT coalesce(sum(length(body) + coalesce(length(samples), "
                                  f"0)), 0) + count(*) * {ROW_OVERHEAD} FROM outbox").fetchone()
        return size

    def continue_above(self, seq: int) -> int:
        """Central stored this epoch's seqs up to `seq`, past the last one handed out here:
        this file is an older copy of itself (restored from a backup). Its rows are among
        those central holds, so they go, and new seqs continue above `seq`. Returns how
        many rows went."""
        self._begin()
        gone = self.db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,)).rowcount
        self.db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'outbox'",
                        (seq,))
        if not self.db.execute("SELECT 1 FROM sqlite_sequence WHERE name='outbox'").fetchone():
            self.db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", (seq,))
        self.commit()
        return gone

    def enforce_quota(self, chunk: int = 5000) -> int:
        """Roll up the oldest telemetry while over quota; returns rows merged away."""
        merged = 0
        for level, bucket in LEVELS:
            while self.size_bytes() > self.quota_bytes:
                done = self._rollup_oldest(level, bucket, chunk)
                if not done:
                    break
                merged += done
        if self.size_bytes() > self.quota_bytes:
            if not self._over_quota_logged:
                log.warning("outbox over its quota with nothing left to roll up (events kept)")
                self._over_quota_logged = True
        else:
            self._over_quota_logged = False
        if merged:
            log.info("outbox over quota: %d old samples rolled up", merged)
        return merged

    def _rollup_oldest(self, level: int, bucket: int, chunk: int) -> int:
        start = 0
        while True:
            rows = self._rows("seq > ? ORDER BY seq LIMIT ?", (start, chunk))
            if not rows:
                return 0
            merges = plan_rollups(rows, level, bucket)
            if merges:
                break
            start = rows[-1].seq
        self._begin()
        for m in merges:
            self.db.execute("UPDATE outbox SET ts = ?, mono = ?, body = ?, upto = ?, level = ?, "
                            "samples = ? WHERE seq = ?", (m.ts, m.mono, _json(m.body), m.upto,
                                                          m.level,
                                                          _json(protocol.build_samples(m.samples)),
                                                          m.keep))
            self.db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in m.drop])
        self.commit()
        return sum(len(m.drop) for m in merges)

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        self.commit()
        self.db.close()


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
