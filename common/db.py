"""The one way culturehouse opens its SQLite files: PRAGMAs, and migrations by user_version.

A schema is a list of SQL steps, append-only: step n brings a file from user_version n-1
to n, once, in its own transaction. Step 1 uses `CREATE … IF NOT EXISTS`, so files made
before versioning (user_version 0, tables present) upgrade in place.
Pure: standard library and sqlite3 only.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer culturehouse: refused, never moved aside or changed."""

    def __init__(self, path: Path, found: int, known: int):
        super().__init__(f"{path} was written by a newer culturehouse (schema version {found}; "
                         f"this version knows up to {known}): upgrade culturehouse, or restore "
                         "a backup made by this version")
        self.path, self.found, self.known = path, found, known


def open_db(path: str | Path, migrations: Sequence[str], *, synchronous: str = "FULL",
            readonly: bool = False, foreign_keys: bool = False, busy_timeout_ms: int = 5000,
            check_same_thread: bool = False,
            factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
    """Open (and create, and migrate) a database; autocommit, WAL, the caller's durability.

    A read-only connection skips WAL set-up and migrations (the writer did both) but still
    refuses a file newer than `migrations`.
    """
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
    path = Path(path)
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                             check_same_thread=check_same_thread, factory=factory)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread,
                             factory=factory)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        if readonly:
            _refuse_newer(db, path, len(migrations))
            return db
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {synchronous}")
        migrate(db, migrations, path)
    except BaseException:
        db.close()
        raise
    return db


def user_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _refuse_newer(db: sqlite3.Connection, path: Path, known: int) -> int:
    found = user_version(db)
    if found > known:
        raise SchemaTooNew(path, found, known)
    return found


def migrate(db: sqlite3.Connection, migrations: Sequence[str], path: Path | str = "") -> int:
    """Run the steps this file has not had yet; returns how many ran."""
    ran = 0
    for step in range(_refuse_newer(db, Path(path), len(migrations)), len(migrations)):
        db.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            if _refuse_newer(db, Path(path), len(migrations)) == step:
                for statement in statements(migrations[step]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")
                ran += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return ran


def statements(script: str) -> list[str]:
    """Split a script into complete statements (semicolons inside triggers or strings stay)."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\n;"):
                out.append(pending.strip())
            pending = ""
    if pending.rstrip(";").strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
    return out
