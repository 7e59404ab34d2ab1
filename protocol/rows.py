"""What a telemetry or event row carries besides its values: the outbox epoch, and the raw
samples a roll-up stands for (docs/protocol.md, "Roll-ups").

Pure: standard library only.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from .bounds import MAC_LIKE, MAX_INT, MAX_TS, PayloadError, check_scalar, is_name
from .messages import Sample
from .words import METRICS

MAX_BOOT = 64  # characters of a boot id (the edge sends 32 hex digits)
MAX_EPOCH = 64  # characters of an outbox epoch (the edge makes 32 hex digits)
EPOCH = re.compile(r"[A-Za-z0-9_-]{0,%d}" % MAX_EPOCH)  # "" = an outbox older than epochs
# The gauges central's figures read (the peak of Wi-Fi clients, devices seen today): a
# roll-up keeps every sample's value of them, so central counts as if the rows had arrived.
ROLLUP_SERIES = (METRICS["wifi.clients"].name, METRICS["wifi.unique.today"].name)
MAX_ROLLUP_SAMPLES = 1440  # a day of minute samples in one rolled-up row
MAX_ROLLUP_SERIES = 8
SAMPLE_KEYS = frozenset({"seq", "ts", "mono", "values"})


def is_epoch(epoch: Any) -> bool:
    """An outbox epoch: up to 64 letters, digits, '-' or '_', never MAC-like."""
    return isinstance(epoch, str) and bool(EPOCH.fullmatch(epoch)) and not MAC_LIKE.search(epoch)


def check_epoch(epoch: Any) -> str:
    if not is_epoch(epoch):
        raise PayloadError("bad_schema", f"epoch must be at most {MAX_EPOCH} letters, digits, "
                                         "'-' or '_'")
    return epoch


def _deltas(values: list[int]) -> list[int]:
    return values[:1] + [b - a for a, b in zip(values, values[1:])]


def build_samples(samples: Sequence[Sample]) -> dict:
    """A roll-up's samples as columns: seq, ts (and mono, when every sample has one) as the
    first value then the difference from the previous; each series' values in sample order,
    null where a sample had none."""
    cols: dict[str, Any] = {"seq": _deltas([s.seq for s in samples]),
                            "ts": _deltas([s.ts for s in samples])}
    if samples and all(s.mono is not None for s in samples):
        cols["mono"] = _deltas([s.mono for s in samples])
    names = sorted({name for s in samples for name in s.values})
    if names:
        cols["values"] = {name: [s.values.get(name) for s in samples] for name in names}
    return cols


def _undelta(obj: dict, key: str, low: int, high: int) -> list[int]:
    items = obj.get(key)
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ROLLUP_SAMPLES:
        raise PayloadError("bad_schema", f"samples.{key} must list 1-{MAX_ROLLUP_SAMPLES} "
                                         "integers")
    out, at = [], 0
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise PayloadError("bad_schema", f"samples.{key} holds integers")
        at += item
        if not low <= at <= high:
            raise PayloadError("out_of_range", f"samples.{key} must stay within {low}..{high}")
        out.append(at)
    return out


def _series(obj: dict, count: int) -> dict[str, list]:
    values = obj.get("values", {})
    if not isinstance(values, dict) or len(values) > MAX_ROLLUP_SERIES:
        raise PayloadError("bad_schema", f"samples.values: at most {MAX_ROLLUP_SERIES} series")
    for name, column in values.items():
        if not is_name(name):
            raise PayloadError("bad_metric", "samples.values: metric names only")
        if not isinstance(column, list) or len(column) != count:
            raise PayloadError("bad_schema", f"samples.values.{name}: one value per sample")
        for value in column:
            if isinstance(value, str):
                raise PayloadError("bad_value", f"samples.values.{name}: numbers or null")
            if value is not None:
                check_scalar(value, f"samples.values.{name}")
    return values


def parse_samples(obj: Any, seq: int, upto: int) -> tuple[Sample, ...]:
    """The samples of the roll-up seq..upto: the first is `seq`, all ascending, none past `upto`."""
    if not isinstance(obj, dict) or not set(obj) <= SAMPLE_KEYS:
        raise PayloadError("bad_schema", "samples holds seq, ts, mono and values")
    seqs = _undelta(obj, "seq", 1, MAX_INT)
    if seqs[0] != seq or seqs[-1] > upto or any(b <= a for a, b in zip(seqs, seqs[1:])):
        raise PayloadError("out_of_range", "samples.seq must ascend from seq, up to upto")
    stamps = _undelta(obj, "ts", 0, MAX_TS)
    monos = _undelta(obj, "mono", 0, MAX_INT) if "mono" in obj else [None] * len(seqs)
    if not len(stamps) == len(monos) == len(seqs):
        raise PayloadError("bad_schema", "samples: one seq, ts (and mono) per sample")
    series = _series(obj, len(seqs))
    return tuple(Sample(s, ts, {name: column[i] for name, column in series.items()
                                if column[i] is not None}, mono)
                 for i, (s, ts, mono) in enumerate(zip(seqs, stamps, monos)))


def _width(value: Any) -> int:
    return 5 if value is None else len(str(value)) + 1  # the JSON text and its comma


def sample_cost(prev: Sample | None, sample: Sample) -> int:
    """About the bytes `sample` adds to build_samples' JSON after `prev` (to bound a roll-up)."""
    if prev is None:
        return _width(sample.seq) + _width(sample.ts) + _width(sample.mono) + sum(
            _width(v) + len(name) + 6 for name, v in sample.values.items())
    mono = None if sample.mono is None or prev.mono is None else sample.mono - prev.mono
    return (_width(sample.seq - prev.seq) + _width(sample.ts - prev.ts) + _width(mono)
            + sum(_width(sample.values.get(name)) for name in ROLLUP_SERIES))
