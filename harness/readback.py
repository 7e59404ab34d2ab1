"""Reading back what processes under test wrote, read-only (chaos tests and benchmarks):
an edge's last seq, central's ack watermark and the seqs central stored, from SQLite files;
`scalar` also from central's PostgreSQL database."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def query(db: Path, sql: str, *args) -> list:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def last_seq(state: Path) -> int:
    """The newest seq an edge with this state dir has written (0 before its first)."""
    path = Path(state) / "outbox.sqlite"
    if not path.exists():
        return 0
    try:
        rows = query(path, "SELECT seq FROM sqlite_sequence WHERE name='outbox'")
    except sqlite3.OperationalError:  # created, schema not yet written
        return 0
    return rows[0][0] if rows else 0


def acked(central_db, house: str) -> int:
    """Central's ack watermark for a house (0 before the house is known), from either engine."""
    return scalar(central_db, "SELECT acked_seq FROM houses WHERE house = ?", (house,))


def covered_seqs(central_db: Path, house: str) -> list[int]:
    """Every seq central stored for a house, a roll-up counting for each seq it stands for;
    in order, duplicates kept (so a test sees both holes and doubles)."""
    rows = query(central_db, "SELECT seq, upto FROM messages WHERE house = ? ORDER BY seq",
                 house)
    return [s for seq, upto in rows for s in range(seq, (upto or seq) + 1)]


def scalar(location, sql: str, params: tuple = (), default=0):
    """The one value `sql` selects from central's database (a SQLite file or a PostgreSQL
    URL); `default` while the database, its tables or the row do not exist yet."""
    from central.database import ERRORS, connect
    if not str(location).startswith("postgresql://") and not Path(location).exists():
        return default
    try:
        db = connect(location, readonly=True)
        try:
            row = db.execute(sql, params).fetchone()
            return default if row is None or row[0] is None else row[0]
        finally:
            db.close()
    except ERRORS:
        return default
