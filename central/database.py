"""Where central keeps its data: a SQLite file (the embedded default) or a PostgreSQL database.

The one seam between central's SQL and the two engines. The SQL is written once, in the
dialect both accept (`?` placeholders, `INSERT … ON CONFLICT (key) DO …`, the target table
named in an upsert's SET); PostgreSQL gets the few SQLite built-ins the queries use
(scalar `max`, `json_extract`, `|` on numbers) as functions in its schema, and the
PostgreSQL connection translates placeholders (central/postgres.py). Only the DDL,
partitions and retention differ, and live in each engine's own module.
Pure: standard library, sqlite3 and common.db; psycopg is imported only for PostgreSQL.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from common.db import open_db

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class SqliteConnection(sqlite3.Connection):
    """sqlite3's connection, saying which dialect it speaks."""

    dialect = "sqlite"


def is_postgres(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def connect(location: str | Path, readonly: bool = False, password: str = ""):
    """Central's database: the migrated writer's connection, or a reader's.

    `location` is a SQLite file's path or a postgresql:// URL.
    """
    if is_postgres(location):
        from . import postgres
        return postgres.connect(location, readonly=readonly, password=password)
    from .schema import MIGRATIONS  # here: the schema imports rollups, which import this
    # WAL + NORMAL: durable on commit barring an OS crash.
    return open_db(location, MIGRATIONS, synchronous="NORMAL", readonly=readonly,
                   factory=SqliteConnection)


def dialect(db) -> str:
    """"sqlite" or "postgres" (a plain sqlite3 connection counts as SQLite)."""
    return getattr(db, "dialect", "sqlite")


def _errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg
    except ImportError:  # central without its `central` extra: SQLite only
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


# What either engine raises: callers that report "database unavailable" catch these.
ERRORS = _errors()


def is_unavailable(exc: BaseException) -> bool:
    """The database failed, not the message: locked, full, read-only, I/O, corrupt, memory,
    or (PostgreSQL) the server is gone, shutting down, in recovery or refusing connections.

    What a value causes (a string that cannot be encoded, an int too large, a NUL byte in
    text) surfaces as ValueError, OverflowError, IntegrityError, DataError or InterfaceError.
    """
    if isinstance(exc, (sqlite3.OperationalError, OSError, MemoryError)):
        return True
    if type(exc) is sqlite3.DatabaseError:
        return True
    module = type(exc).__module__ or ""
    if module.startswith("psycopg"):
        import psycopg
        return isinstance(exc, psycopg.OperationalError) or (
            isinstance(exc, psycopg.InterfaceError) and "closed" in str(exc))
    return False


MESSAGE_COLUMNS = "house, epoch, seq, kind, boot, ts, recv_ts, tq, mono, type, body, upto"
PG_TYPES = ("text", "text", "bigint", "text", "text", "bigint", "bigint", "text", "bigint", "text",
            "text", "bigint")


def insert_messages(dialect: str, params: list) -> tuple[str, list]:
    """The statement (and its parameters) storing message rows, `params` flat, 12 per row.

    PostgreSQL takes the columns as 12 arrays (`unnest`): one short statement whatever the
    number of rows, parsed once; SQLite a multi-row VALUES.
    """
    n = len(MESSAGE_COLUMNS.split(","))
    tail = " ON CONFLICT DO NOTHING RETURNING house, epoch, seq"
    if dialect == "postgres":
        arrays = ", ".join(f"?::{t}[]" for t in PG_TYPES)
        return (f"INSERT INTO messages ({MESSAGE_COLUMNS}) SELECT * FROM unnest({arrays})" + tail,
                [params[i::n] for i in range(n)])
    values = ", ".join(["(" + ", ".join(["?"] * n) + ")"] * (len(params) // n))
    return f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES {values}" + tail, params


def upsert_figures(dialect: str, table: str, key: str, upsert: str,
                   rows: list[tuple]) -> tuple[str, list, bool]:
    """The statement writing roll-up rows (house, metric, bucket, value) with `upsert` as its
    ON CONFLICT clause: (sql, parameters, whether they are one row's or many rows').

    PostgreSQL: one statement with the columns as arrays (values as text, made numeric there:
    ints and floats in one array); SQLite: a row at a time through executemany.
    """
    if dialect == "postgres":
        bucket = "bigint" if key == "hour" else "text"
        return (f"INSERT INTO {table} (house, metric, {key}, value) SELECT h, m, b, v::numeric "
                f"FROM unnest(?::text[], ?::text[], ?::{bucket}[], ?::text[]) AS u(h, m, b, v) "
                + upsert, [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                           [repr(r[3]) for r in rows]], True)
    return (f"INSERT INTO {table} (house, metric, {key}, value) VALUES (?,?,?,?) " + upsert,
            rows, False)


def redact(location: str | Path) -> str:
    """A location fit for logs: a URL without any password in it."""
    text = str(location)
    if not is_postgres(text) or "@" not in text.split("/", 3)[2]:
        return text
    scheme, rest = text.split("://", 1)
    auth, host = rest.split("@", 1)
    return f"{scheme}://{auth.split(':', 1)[0]}@{host}"
