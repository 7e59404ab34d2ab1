"""The daily Wi-Fi figures (`wifi.daily`) from one local day's session parts.

Counts and durations only: pseudonyms are used to count distinct devices and never
appear in the result.
Pure: standard library and the tracker only.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from .tracker import Part

# Dwell buckets (upper bounds in seconds) as in hotspot analytics: bounce, short, ...
HISTOGRAM = (("lt_2m", 120), ("2m_15m", 900), ("15m_60m", 3600), ("1h_3h", 10800),
             ("gt_3h", math.inf))


def percentile(values: list[float], q: float) -> int:
    """Nearest-rank percentile (0 for no values), in whole seconds."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return int(round(ordered[rank - 1]))


def histogram(values: Iterable[float]) -> dict[str, int]:
    out = {name: 0 for name, _ in HISTOGRAM}
    for v in values:
        for name, upper in HISTOGRAM:
            if v < upper:
                out[name] += 1
                break
    return out


def peak_concurrent(parts: list[Part]) -> int:
    """Most sessions open at one instant (a session ending as another starts is not overlap)."""
    edges = sorted([(p.start_wall, 1) for p in parts] + [(p.end_wall, -1) for p in parts],
                   key=lambda e: (e[0], e[1]))
    best = cur = 0
    for _, step in edges:
        cur += step
        best = max(best, cur)
    return best


def busiest_hour(parts: list[Part], day: date, tz: ZoneInfo) -> int | None:
    """Local hour (0-23) in which the most distinct devices were connected."""
    start = datetime.combine(day, time(0), tz)
    devices: dict[int, set[str]] = {}
    for hour in range(24):
        lo = (start + timedelta(hours=hour)).timestamp()
        hi = lo + 3600
        devices[hour] = {p.pid for p in parts
                         if p.start_wall < hi and (p.end_wall > lo or
                                                   (p.seconds == 0 and p.start_wall >= lo))}
    best = max(range(24), key=lambda h: (len(devices[h]), -h))
    return best if devices[best] else None


def build_daily(day: str, parts: Iterable[Part], new_pids: set[str], timezone: str,
                bounce_s: float = 120.0, bytes_up: int = 0, bytes_down: int = 0) -> dict:
    """Figures for `day` from its parts; infrastructure devices are counted apart."""
    tz = ZoneInfo(timezone)
    parts = [p for p in parts if p.day == day]
    users = [p for p in parts if not p.infra]
    per_device: dict[str, float] = {}
    randomized: dict[str, bool] = {}
    for p in users:
        per_device[p.pid] = per_device.get(p.pid, 0.0) + p.seconds
        randomized[p.pid] = randomized.get(p.pid, False) or p.randomized
    unique = len(per_device)
    new = len(set(per_device) & new_pids)
    dwell = [p.seconds for p in users]
    return {
        "day": day,
        "tz": timezone,
        "unique_devices": unique,
        "engaged_devices": sum(1 for s in per_device.values() if s >= bounce_s),
        "new_devices": new,
        "returning_devices": unique - new,
        "sessions": len(users),
        "bounces": sum(1 for s in dwell if s < bounce_s),
        "dwell_p50_s": percentile(dwell, 50),
        "dwell_p90_s": percentile(dwell, 90),
        "dwell_hist": histogram(dwell),
        "network_seconds": int(round(sum(dwell))),
        "peak_hour": busiest_hour(users, date.fromisoformat(day), tz),
        "peak_concurrent": peak_concurrent(users),
        "randomized_share": round(sum(randomized.values()) / unique, 3) if unique else 0.0,
        "infrastructure_devices": len({p.pid for p in parts if p.infra}),
        "bytes_up": int(bytes_up),
        "bytes_down": int(bytes_down),
    }
