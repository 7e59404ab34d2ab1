"""Central's PostgreSQL backend: a connection that runs the shared SQL, migrations by
schema_version, and the time partitions of `messages` (made ahead, dropped for retention).

`PgConnection` looks like the sqlite3 connections the queries were written for: `execute`
with `?` placeholders returns a cursor (iterable, fetchone, fetchall, rowcount),
autocommit unless the caller says BEGIN, numbers come back as int or float. A connection
the server dropped is opened again before the next statement outside a transaction, so a
restarted server costs one failed attempt, which the caller retries.
An adapter: imports psycopg (the `central` extra), and common.db for SchemaTooNew.
"""
from __future__ import annotations

import calendar
import logging
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from common.db import SchemaTooNew

from .schema_pg import MIGRATIONS

log = logging.getLogger(__name__)
MIGRATION_LOCK = 0x63_68_5F_6D  # pg_advisory_xact_lock key: one migrating process at a time
PARTITION_LOCK = 0x63_68_5F_70  # ... and one process making or dropping partitions
UNITS = ("day", "month")


class NumberLoader(Loader):
    """numeric as int when whole, else float: what SQLite's untyped `value` gives back."""

    def load(self, data) -> int | float:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


@lru_cache(maxsize=1024)
def translate(sql: str, with_params: bool) -> str:
    """`?` placeholders to psycopg's `%s` (and a literal `%` to `%%`), outside quotes;
    SQLite's `BEGIN IMMEDIATE` to plain BEGIN (PostgreSQL locks rows, not the file)."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    if not with_params:
        return sql
    out, quote = [], ""
    for ch in sql:
        if quote:
            quote = "" if ch == quote else quote
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
    return "".join(out)


class PgConnection:
    """A psycopg connection that speaks the SQL central writes for SQLite (see module doc)."""

    dialect = "postgres"

    def __init__(self, url: str, password: str = "", readonly: bool = False):
        self.url, self.readonly = url, readonly
        self._password = password
        self._con = self._open()

    def _open(self) -> psycopg.Connection:
        extra = {"password": self._password} if self._password else {}
        con = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                              application_name="culturehouse-central", **extra,
                              **({"options": "-c default_transaction_read_only=on"}
                                 if self.readonly else {}))
        con.adapters.register_loader("numeric", NumberLoader)
        return con

    @property
    def raw(self) -> psycopg.Connection:
        """The psycopg connection itself (COPY, bulk loads), opened again if it was lost."""
        if self._con.closed or self._con.broken:
            if self._con.info.transaction_status not in (TransactionStatus.IDLE,
                                                           TransactionStatus.UNKNOWN):
                raise psycopg.OperationalError("connection lost inside a transaction")
            self._con.close()
            self._con = self._open()
            log.info("reconnected to PostgreSQL")
        return self._con

    def execute(self, sql: str, params=()):
        query = translate(sql, bool(params))
        try:
            return self.raw.execute(query, params or None)
        except psycopg.OperationalError:
            # A reader's pooled connection the server dropped while it was idle: its first
            # query fails; reading again on a new connection is safe (a write might not be).
            if not (self.readonly and self._con.broken):
                raise
            return self.raw.execute(query, params or None)

    def executemany(self, sql: str, seq_of_params):
        cur = self.raw.cursor()
        cur.executemany(translate(sql, True), list(seq_of_params))
        return cur

    @property
    def in_transaction(self) -> bool:
        return not self._con.broken and self._con.info.transaction_status in (
            TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE)

    def close(self) -> None:
        self._con.close()


def connect(url: str, readonly: bool = False, password: str = "") -> PgConnection:
    """A connection to central's database, migrated unless it is a reader's."""
    con = PgConnection(url, password, readonly)
    try:
        if readonly:
            refuse_newer(con, url, len(MIGRATIONS))
        else:
            migrate(con, MIGRATIONS, url)
    except BaseException:
        con.close()
        raise
    return con


def schema_version(con: PgConnection) -> int:
    if con.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def refuse_newer(con: PgConnection, url: str, known: int) -> int:
    found = schema_version(con)
    if found > known:
        from .database import redact
        raise SchemaTooNew(redact(url), found, known)
    return found


def migrate(con: PgConnection, steps, url: str = "") -> int:
    """Run the steps this database has not had yet, each in its own transaction, under an
    advisory lock (several collectors may start at once); returns how many ran."""
    ran = 0
    for step in range(refuse_newer(con, url, len(steps)), len(steps)):
        with locked(con, MIGRATION_LOCK):
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            if refuse_newer(con, url, len(steps)) == step:  # another process may have run it
                con.execute(steps[step])
                con.execute("INSERT INTO schema_version (version) VALUES (?)", (step + 1,))
                ran += 1
    return ran


@contextmanager
def locked(con: PgConnection, key: int):
    """One transaction holding advisory lock `key` (processes doing the same upkeep take
    turns): committed when the block ends, rolled back if it raises."""
    con.execute("BEGIN")
    try:
        con.execute("SELECT pg_advisory_xact_lock(?)", (key,))
        yield
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


# ----- partitions ----------------------------------------------------------------------
def period(ts_ms: int, unit: str) -> tuple[int, int, str]:
    """The partition holding `ts_ms` (UTC): (start ms, end ms, table name)."""
    when = datetime.fromtimestamp(ts_ms / 1000, timezone.utc)
    if unit == "day":
        start = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
        end_s = calendar.timegm(start.timetuple()) + 86_400
        name = f"messages_d{start:%Y%m%d}"
    else:
        start = datetime(when.year, when.month, 1, tzinfo=timezone.utc)
        days = calendar.monthrange(when.year, when.month)[1]
        end_s = calendar.timegm(start.timetuple()) + days * 86_400
        name = f"messages_m{start:%Y%m}"
    return calendar.timegm(start.timetuple()) * 1000, end_s * 1000, name


NAME = re.compile(r"messages_(?:d(\d{4})(\d\d)(\d\d)|m(\d{4})(\d\d))")


def bounds_of(name: str) -> tuple[int, int] | None:
    """(start ms, end ms) of a partition named by `period`; None for others (the default)."""
    m = NAME.fullmatch(name)
    if not m:
        return None
    if m.group(1):
        start = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
        return period(int(start.timestamp() * 1000), "day")[:2]
    start = datetime(int(m.group(4)), int(m.group(5)), 1, tzinfo=timezone.utc)
    return period(int(start.timestamp() * 1000), "month")[:2]


def wanted(now_ms: int, unit: str, ahead: int = 2) -> list[tuple[int, int, str]]:
    """The partitions to have at `now_ms`: the current one, the one before and `ahead` more."""
    first = period(now_ms, unit)
    out, start = [], period(first[0] - 1, unit)[0]
    while len(out) < ahead + 2:
        out.append(period(start, unit))
        start = out[-1][1]
    return out


def partitions(con: PgConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'messages'::regclass ORDER BY c.relname")]


def ensure_partitions(con: PgConnection, now_ms: int, unit: str) -> list[str]:
    """Make the partitions `wanted` lacks; rows the default partition holds for one are
    moved into it. Returns the names made."""
    made = []
    have = set(partitions(con))
    for start, end, name in wanted(now_ms, unit):
        if name in have:
            continue
        with locked(con, PARTITION_LOCK):
            if name not in partitions(con):
                con.execute(f"CREATE TABLE {name} (LIKE messages INCLUDING DEFAULTS)")
                con.execute(f"WITH moved AS (DELETE FROM messages_default WHERE ts >= ? AND "
                            f"ts < ? RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                            (start, end))
                con.execute(f"ALTER TABLE messages ATTACH PARTITION {name} "
                            f"FOR VALUES FROM ({start}) TO ({end})")
                made.append(name)
    if made:
        log.info("made message partitions %s", ", ".join(made))
    return made


def drop_before(con: PgConnection, cutoff_ms: int) -> list[str]:
    """Retention: drop every partition wholly older than `cutoff_ms`, and delete the default
    partition's rows older than it. Returns the partitions dropped."""
    dropped = []
    with locked(con, PARTITION_LOCK):
        for name in partitions(con):
            span = bounds_of(name)
            if span is not None and span[1] <= cutoff_ms:
                con.execute(f"DROP TABLE {name}")
                dropped.append(name)
        con.execute("DELETE FROM messages_default WHERE ts < ?", (cutoff_ms,))
    if dropped:
        log.info("retention dropped message partitions %s", ", ".join(dropped))
    return dropped
