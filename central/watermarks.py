"""Ack watermarks for a whole batch: for every (house, outbox epoch) it touched, the highest
seq such that every seq from 1 (or the declared floor) is stored, a roll-up covering
seq..upto; then each house's shown watermark (that of the epoch its latest status announced).

A few queries per batch whatever the number of houses (a round trip per house would be the
write path's cost on a networked database); `walk` is the decision, on plain values.
Never guesses a start from the first seq seen: after an outage that is a live sample, with
the backlog below it still to come.
Pure: standard library only (the connection is passed in; the SQL is both dialects').
"""
from __future__ import annotations

from typing import Iterable

WINDOW = 1000  # seqs above a watermark read per pass
CHUNK = 300  # (house, epoch) pairs per query


def walk(acked: int, reach: int | None, rows: Iterable[tuple[int, int]]) -> int:
    """The watermark after `acked`, given the furthest a roll-up starting at or below
    acked + 1 reaches, and the stored (seq, upto) above `acked` in seq order."""
    acked = max(acked, reach or 0)
    for seq, upto in rows:
        if seq > acked + 1:
            break
        acked = max(acked, upto)
    return acked


def _values(n: int, width: int) -> str:
    return "(VALUES " + ", ".join(["(" + ", ".join(["?"] * width) + ")"] * n) + ") AS v"


def stored(db, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The stored watermark of each (house, epoch) (0 where there is none yet)."""
    out = dict.fromkeys(pairs, 0)
    for i in range(0, len(pairs), CHUNK):
        part = pairs[i:i + CHUNK]
        for house, epoch, seq in db.execute(
                f"SELECT w.house, w.epoch, w.acked_seq FROM {_values(len(part), 2)} JOIN "
                "watermarks AS w ON w.house = v.column1 AND w.epoch = v.column2",
                [x for pair in part for x in pair]):
            out[(house, epoch)] = seq
    return out


def advance(db, marks: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """New watermarks of the pairs in `marks` (pair -> stored watermark); those whose run of
    stored seqs fills the whole window go on one by one (`one`)."""
    out = dict(marks)
    pairs = list(marks)
    for i in range(0, len(pairs), CHUNK):
        part = pairs[i:i + CHUNK]
        params = [x for p in part for x in (*p, marks[p])]
        reach = {(h, e): r for h, e, r in db.execute(
            f"SELECT v.column1, v.column2, max(m.upto) FROM {_values(len(part), 3)} "
            "JOIN messages AS m ON m.house = v.column1 AND m.epoch = v.column2 "
            "AND m.upto > v.column3 AND m.seq <= v.column3 + 1 GROUP BY v.column1, v.column2",
            params)}
        rows: dict[tuple[str, str], list] = {}
        for h, e, seq, upto in db.execute(
                f"SELECT v.column1, v.column2, m.seq, coalesce(m.upto, m.seq) "
                f"FROM {_values(len(part), 3)} JOIN messages AS m ON m.house = v.column1 "
                f"AND m.epoch = v.column2 AND m.seq > v.column3 AND m.seq <= v.column3 + {WINDOW}",
                params):
            rows.setdefault((h, e), []).append((seq, upto))
        for pair in part:
            got = sorted(rows.get(pair, ()))
            out[pair] = walk(marks[pair], reach.get(pair), got)
            if got and out[pair] >= marks[pair] + WINDOW:  # the window ran out, not the seqs
                out[pair] = one(db, *pair, out[pair])
    return out


def one(db, house: str, epoch: str, acked: int) -> int:
    """The watermark of (house, epoch) from `acked` on, a window per pass (for the long runs
    `advance` leaves to it)."""
    while True:
        (reach,) = db.execute(  # a roll-up starting within the run may reach past it
            "SELECT max(upto) FROM messages WHERE house = ? AND epoch = ? AND upto > ? "
            "AND seq <= ?", (house, epoch, acked, acked + 1)).fetchone()
        rows = db.execute("SELECT seq, coalesce(upto, seq) FROM messages WHERE house = ? AND "
                          f"epoch = ? AND seq > ? ORDER BY seq LIMIT {WINDOW}",
                          (house, epoch, max(acked, reach or 0))).fetchall()
        before, acked = acked, walk(acked, reach, rows)
        if len(rows) < WINDOW or acked == before or acked < rows[-1][0]:
            return acked


def shown(db, houses: list[str]) -> dict[str, int]:
    """Copy each house's current epoch's watermark to houses.acked_seq (what readers show);
    returns them."""
    out, changed = {}, []
    for i in range(0, len(houses), CHUNK):
        part = houses[i:i + CHUNK]
        for house, shown_seq, acked in db.execute(
                "SELECT h.house, h.acked_seq, coalesce(w.acked_seq, 0) FROM houses AS h "
                "LEFT JOIN watermarks AS w ON w.house = h.house AND w.epoch = h.epoch "
                f"WHERE h.house IN ({', '.join(['?'] * len(part))})", part):
            out[house] = acked
            if acked != shown_seq:
                changed.append((acked, house))
    if changed:
        db.executemany("UPDATE houses SET acked_seq = ? WHERE house = ?", changed)
    return out
