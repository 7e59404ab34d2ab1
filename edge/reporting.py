"""Report by exception: which metrics go in the next telemetry sample.

A sample carries only the metrics whose value changed since the last one; a full sample
(every metric) goes after a start or reconnect and at each `full_every` boundary of the
wall clock, and never more than `full_every` apart on the monotonic clock. Boundaries on
the wall clock put a full sample first in every hour when `full_every` divides an hour,
so central's hourly and daily peaks see the value held at the hour's start.
Pure: standard library only; time is passed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Reported:
    """What central holds of this house after the samples sent so far."""

    values: Mapping[str, Any] = field(default_factory=dict)
    full_wall: float = 0.0  # wall-clock seconds of the last full sample
    full_mono: float = 0.0  # monotonic seconds of the same


@dataclass(frozen=True)
class Choice:
    metrics: dict[str, Any]  # what the sample carries
    full: bool
    reported: Reported  # what central holds once it has the sample


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same type: 1, 1.0 and True are different values on the wire."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def is_full_due(last: Reported | None, wall: float, mono: float, full_every: float) -> bool:
    """A full sample is due: nothing sent since a (re)start or reconnect, a wall-clock
    boundary of `full_every` crossed, or `full_every` gone by on the monotonic clock."""
    if last is None:
        return True
    return (wall // full_every != last.full_wall // full_every
            or mono - last.full_mono >= full_every)


def choose_metrics(metrics: Mapping[str, Any], last: Reported | None, wall: float,
                   mono: float, full_every: float) -> Choice:
    """The metrics of the next sample: all of them when a full sample is due, else those
    whose value differs from what central holds (new ones included; a metric that went
    away is dropped from central's state by the next full sample)."""
    if is_full_due(last, wall, mono, full_every):
        return Choice(dict(metrics), True, Reported(dict(metrics), wall, mono))
    assert last is not None
    changed = {name: value for name, value in metrics.items()
               if name not in last.values or not same_value(last.values[name], value)}
    return Choice(changed, False, Reported({**last.values, **changed}, last.full_wall,
                                           last.full_mono))
