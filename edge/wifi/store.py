"""SQLite persistence for the Wi-Fi feature: open sessions, unrolled day parts, devices.

Only pseudonyms are stored (never a MAC). Used from the agent's main thread only.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable

from common.db import SchemaTooNew, open_db

from .tracker import Part

log = logging.getLogger(__name__)
# Append-only (common/db.py): change the tables by adding a step, never by editing one.
MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS open_sessions (pid TEXT PRIMARY KEY, start_wall REAL NOT NULL,
    last_seen_wall REAL NOT NULL, randomized INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS parts (day TEXT NOT NULL, pid TEXT NOT NULL, start_wall REAL NOT NULL,
    seconds REAL NOT NULL, randomized INTEGER NOT NULL, infra INTEGER NOT NULL,
    continued INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS parts_day ON parts (day);
CREATE TABLE IF NOT EXISTS devices (pid TEXT PRIMARY KEY, first_day TEXT NOT NULL,
    last_day TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS presence (pid TEXT NOT NULL, day TEXT NOT NULL,
    seconds REAL NOT NULL, PRIMARY KEY (pid, day));
""",)


class WifiStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.db = self._open()
        except SchemaTooNew:
            raise  # a newer version's data: kept as it is for that version
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("wifi store %s unusable (%s): moved aside, starting empty",
                        self.path, exc)
            os.replace(self.path, aside)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        # NORMAL: a power cut may lose the last seconds of sessions, never the file.
        db = open_db(self.path, MIGRATIONS, synchronous="NORMAL")
        try:
            db.execute("SELECT count(*) FROM parts").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        os.chmod(self.path, 0o600)
        return db

    def close(self) -> None:
        self.db.close()

    # ----- meta --------------------------------------------------------------------------

    def get(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return row[0] if row else default

    def number(self, key: str) -> float:
        return float(self.get(key, "0"))

    def set(self, key: str, value: object) -> None:
        self.db.execute("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE "
                        "SET v = excluded.v", (key, str(value)))

    def add(self, key: str, amount: float) -> None:
        if amount:
            self.set(key, self.number(key) + amount)

    # ----- sessions ----------------------------------------------------------------------

    def transaction(self):
        return _Transaction(self.db)

    def add_part(self, part: Part) -> None:
        self.db.execute("INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (part.day, part.pid, part.start_wall, part.seconds, int(part.randomized),
                         int(part.infra), int(part.continued)))
        self.db.execute("INSERT INTO presence VALUES (?, ?, ?) ON CONFLICT (pid, day) DO UPDATE "
                        "SET seconds = seconds + excluded.seconds",
                        (part.pid, part.day, part.seconds))

    def sync_open(self, rows: Iterable[tuple[str, float, float, bool]]) -> None:
        """Replace the saved open sessions with (pid, start_wall, last_seen_wall, randomized)."""
        self.db.execute("DELETE FROM open_sessions")
        self.db.executemany("INSERT INTO open_sessions VALUES (?, ?, ?, ?)",
                            [(p, s, l, int(r)) for p, s, l, r in rows])

    def open_rows(self) -> list[tuple[str, float, float, bool]]:
        return [(p, s, l, bool(r)) for p, s, l, r in
                self.db.execute("SELECT pid, start_wall, last_seen_wall, randomized "
                                "FROM open_sessions")]

    def see(self, pid: str, day: str) -> bool:
        """Record that `pid` was here on `day`; True if that is its first day this key epoch."""
        self.db.execute("INSERT INTO devices VALUES (?, ?, ?) ON CONFLICT (pid) DO UPDATE "
                        "SET last_day = max(last_day, excluded.last_day)", (pid, day, day))
        row = self.db.execute("SELECT first_day FROM devices WHERE pid = ?", (pid,)).fetchone()
        return row[0] == day

    def devices_on(self, day: str) -> dict[str, bool]:
        """pid -> is new, for devices seen on `day`."""
        return {p: f == day for p, f in self.db.execute(
            "SELECT pid, first_day FROM devices WHERE last_day = ?", (day,))}

    def new_pids(self, day: str) -> set[str]:
        return {p for (p,) in self.db.execute("SELECT pid FROM devices WHERE first_day = ?",
                                              (day,))}

    # ----- days --------------------------------------------------------------------------

    def part_days(self) -> list[str]:
        return [d for (d,) in self.db.execute("SELECT DISTINCT day FROM parts ORDER BY day")]

    def parts(self, day: str) -> list[Part]:
        return [Part(p, d, s, sec, bool(r), bool(i), bool(c)) for d, p, s, sec, r, i, c in
                self.db.execute("SELECT day, pid, start_wall, seconds, randomized, infra, "
                                "continued FROM parts WHERE day = ?", (day,))]

    def finish_day(self, day: str) -> None:
        """The day's figures were emitted: drop its session rows (aggregates live on)."""
        with self.transaction():
            self.db.execute("DELETE FROM parts WHERE day <= ?", (day,))
            self.db.execute("DELETE FROM meta WHERE k LIKE 'bytes_%:' || ?", (day,))
            self.set("rolled_through", day)

    def infrastructure(self, hours: float, days: int) -> set[str]:
        """Pseudonyms present at least `hours` a day on at least `days` days."""
        return {p for (p,) in self.db.execute(
            "SELECT pid FROM presence WHERE seconds >= ? GROUP BY pid HAVING count(*) >= ?",
            (hours * 3600, days))}

    def rename(self, mapping: dict[str, str]) -> None:
        """New pseudonyms for the rows of days not yet rolled up (after a key rotation)."""
        self.db.executemany("UPDATE parts SET pid = ? WHERE pid = ?",
                            [(new, old) for old, new in mapping.items()])

    def forget_identities(self) -> None:
        """After a key rotation: the old pseudonyms mean nothing any more."""
        with self.transaction():
            self.db.execute("DELETE FROM devices")
            self.db.execute("DELETE FROM presence")
            self.db.execute("DELETE FROM open_sessions")


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
            self.owner = True
        else:
            self.owner = False
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.owner:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
