"""The scan queue and the scans on record, on disk (SQLite in state_dir), across restarts.

A scan's record keeps its own time (retention counts from it, never from the file) and
its pickup code. Used from the agent's main thread.
Pure: standard library and sqlite3 (through common.db) only.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from common.db import SchemaTooNew, open_db

from .core import ScanJob
from .pickup import PickupScan

log = logging.getLogger(__name__)
# Append-only (common/db.py): change the table by adding a step, never by editing one.
MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS scan_jobs (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    preset TEXT NOT NULL,
    created REAL NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
)
""", """
CREATE TABLE scans (
    name TEXT PRIMARY KEY,
    made REAL NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    spent INTEGER NOT NULL DEFAULT 0,
    wrong INTEGER NOT NULL DEFAULT 0
)
""")


class JobStore:
    """Rows mirror the core's queue and active job; rewritten in one transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.db = self._open(self.path)
        except SchemaTooNew as exc:
            # A newer version's queue stays untouched for it; this run queues in memory.
            log.error("scan queue not kept across restarts: %s", exc)
            self.db = self._open(Path(":memory:"))
        except sqlite3.DatabaseError as exc:
            # A corrupt journal must not stop the agent: keep it aside and start empty.
            log.warning("scan queue unreadable (%s); starting with an empty queue", exc)
            self.path.replace(self.path.with_suffix(".corrupt"))
            self.db = self._open(self.path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        # FULL: a job accepted before a power cut is still queued after it.
        return open_db(path, MIGRATIONS, synchronous="FULL", check_same_thread=True)

    def load(self) -> tuple[list[ScanJob], list[ScanJob]]:
        """(queued jobs in order, jobs that were being scanned when the agent stopped)."""
        rows = self.db.execute(
            "SELECT id, purpose, preset, created, active FROM scan_jobs ORDER BY position").fetchall()
        queued = [ScanJob(r[0], r[1], r[2], r[3]) for r in rows if not r[4]]
        active = [ScanJob(r[0], r[1], r[2], r[3]) for r in rows if r[4]]
        return queued, active

    def sync(self, queued: tuple[ScanJob, ...], active: ScanJob | None) -> None:
        """Make the table hold exactly these jobs."""
        rows = [(j.id, j.purpose, j.preset, j.created, i + 1, 0) for i, j in enumerate(queued)]
        if active is not None:
            rows.append((active.id, active.purpose, active.preset, active.created, 0, 1))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM scan_jobs")
            self.db.executemany("INSERT INTO scan_jobs VALUES (?, ?, ?, ?, ?, ?)", rows)

    # ----- scans on record ----------------------------------------------------------------
    def scans(self) -> list[PickupScan]:
        rows = self.db.execute("SELECT name, made, code, spent, wrong FROM scans ORDER BY made")
        return [PickupScan(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    def record_scan(self, name: str, made: float) -> None:
        """A scan file exists under this name from now on; made = its job's time."""
        self.db.execute("INSERT OR IGNORE INTO scans (name, made) VALUES (?, ?)", (name, made))

    def set_code(self, name: str, code: str) -> None:
        self.db.execute("UPDATE scans SET code = ?, spent = 0, wrong = 0 WHERE name = ?",
                        (code, name))

    def spend(self, name: str) -> None:
        self.db.execute("UPDATE scans SET spent = 1 WHERE name = ?", (name,))

    def charge_wrong(self) -> None:
        """One more wrong guess against every unspent code."""
        self.db.execute("UPDATE scans SET wrong = wrong + 1 WHERE code != '' AND spent = 0")

    def forget(self, names) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM scans WHERE name = ?", [(n,) for n in names])

    def close(self) -> None:
        self.db.close()
