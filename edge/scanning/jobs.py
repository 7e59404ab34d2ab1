"""The scan queue on disk (SQLite in state_dir), so waiting jobs survive a restart.

Standard library only; used from the agent's main thread.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from .core import ScanJob

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scan_jobs (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    preset TEXT NOT NULL,
    created REAL NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
)
"""


class JobStore:
    """Rows mirror the core's queue and active job; rewritten in one transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            # A corrupt journal must not stop the agent: keep it aside and start empty.
            log.warning("scan queue unreadable (%s); starting with an empty queue", exc)
            self.path.replace(self.path.with_suffix(".corrupt"))
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(_SCHEMA)
        return db

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

    def close(self) -> None:
        self.db.close()
