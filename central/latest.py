"""Each house's latest value of every metric, rebuilt from report-by-exception samples.

A sample carries only the metrics that changed (a full one carries all of them): the state
lives in the database, one row per (house, metric) with the time of its value, updated
only by a newer sample, so several collectors and a backlog arriving after live samples
agree. A full sample marks what it lacks as gone (value NULL at its time), and its time is
kept (the row of metric ""): a value older than it is stale, so an older sample arriving
later revives nothing. `houses.metrics` is kept as the readers' copy.
Runs inside the store's write transaction; portable SQL (SQLite and PostgreSQL).
Pure: standard library only (the connection comes in).
"""
from __future__ import annotations

import json
from typing import Any, Iterable

# Step 3 of central's migrations (central/schema.py).
SCHEMA = """
CREATE TABLE latest_metrics (
    house  TEXT NOT NULL,
    metric TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    value  TEXT,
    PRIMARY KEY (house, metric)
);
"""
FULL_MARK = ""  # the metric name of the row holding the house's newest full sample's ts
_UPSERT = ("INSERT INTO latest_metrics (house, metric, ts, value) VALUES (?,?,?,?) "
           "ON CONFLICT (house, metric) DO UPDATE SET ts = excluded.ts, value = excluded.value "
           "WHERE excluded.ts >= latest_metrics.ts")


def newest_values(samples: Iterable[Any]) -> tuple[dict, dict, dict]:
    """Of telemetry messages: the newest (ts, value) of each (house, metric), the newest full
    sample's ts of each house and the newest sample's ts of each house. Pure."""
    values: dict[tuple[str, str], tuple[int, Any]] = {}
    fulls: dict[str, int] = {}
    seen: dict[str, int] = {}
    for msg in samples:
        seen[msg.house] = max(seen.get(msg.house, msg.ts), msg.ts)
        if msg.full:
            fulls[msg.house] = max(fulls.get(msg.house, msg.ts), msg.ts)
        for name, value in msg.metrics.items():
            key = (msg.house, name)
            if key not in values or msg.ts >= values[key][0]:
                values[key] = (msg.ts, value)
    return values, fulls, seen


def fresh(values: dict, floors: dict[str, int]) -> dict:
    """The values not older than their house's newest full sample (which had them all, or
    had dropped them). Pure."""
    return {key: tv for key, tv in values.items() if tv[0] >= floors.get(key[0], 0)}


def record(db, samples: Iterable[Any]) -> None:
    """Fold a batch's telemetry into latest_metrics and refresh each house's copy."""
    values, fulls, seen = newest_values(samples)
    floors = dict(fulls)
    for house in sorted(seen):
        row = db.execute("SELECT ts FROM latest_metrics WHERE house = ? AND metric = ?",
                         (house, FULL_MARK)).fetchone()
        if row:
            floors[house] = max(floors.get(house, 0), row[0])
    rows = [(house, name, ts, json.dumps(value, ensure_ascii=False))
            for (house, name), (ts, value) in fresh(values, floors).items()]
    rows += [(house, FULL_MARK, ts, None) for house, ts in fulls.items()]
    # Sorted, so two writers lock rows in the same order (no deadlock on PostgreSQL).
    db.executemany(_UPSERT, sorted(rows, key=lambda r: (r[0], r[1])))
    db.executemany("UPDATE latest_metrics SET value = NULL, ts = ? WHERE house = ? AND ts < ?",
                   [(ts, house, ts) for house, ts in sorted(fulls.items())])
    for house, ts in sorted(seen.items()):
        # The house's row first: a writer that waited for another's commit reads its rows.
        db.execute("UPDATE houses SET metrics_ts = CASE WHEN metrics_ts < ? THEN ? "
                   "ELSE metrics_ts END WHERE house = ?", (ts, ts, house))
        db.execute("UPDATE houses SET metrics = ? WHERE house = ?",
                   (json.dumps(read(db, house), ensure_ascii=False), house))


def carried_forward(rows: Iterable[tuple[int, Any]], held: Any = None) -> list[list]:
    """[[ts, value], ...] of a metric at every sample, from (ts, value or None) rows in time
    order: a sample without it (unchanged) shows the value held, from `held` (its value
    before the first row) on. Only numbers make a point. Pure."""
    held = held if _is_number(held) else None
    out = []
    for ts, value in rows:
        if _is_number(value):
            held = value
        if held is not None:
            out.append([ts, held])
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def read(db, house: str) -> dict[str, Any]:
    """A house's latest value of each metric it still reports."""
    return {name: json.loads(value) for name, value in db.execute(
        "SELECT metric, value FROM latest_metrics WHERE house = ? AND value IS NOT NULL "
        "ORDER BY metric", (house,))}
