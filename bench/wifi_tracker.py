"""Benchmark of the Wi-Fi session tracker: observations per second, memory per 1,000 devices.

Run: python -m bench.wifi_tracker. `run()` returns (figure, value, unit) rows for the runner.
"""
from __future__ import annotations

import random
import time
import tracemalloc

from edge.feature import Now
from edge.wifi.privacy import pseudonym
from edge.wifi.tracker import Rules, Sighting, Tracker

KEY = bytes(32)
SRC = "hostapd:wlan0"


def _pids(n: int) -> list[str]:
    return [pseudonym(KEY, ":".join(f"{(i >> s) & 0xff:02x}" for s in (40, 32, 24, 16, 8, 0)))
            for i in range(n)]


def events_per_second(devices: int = 2000, events: int = 200_000) -> float:
    """Connect/disconnect events with a tick every 100 events (a busy day, compressed)."""
    rng = random.Random(7)
    pids = _pids(devices)
    tracker = Tracker(Rules())
    t0 = time.perf_counter()
    for n in range(events):
        now = Now(wall=1.77e9 + n, mono=float(n))
        pid = pids[rng.randrange(devices)]
        if pid in tracker.open and tracker.open[pid].pending_since is None:
            tracker.disconnect(pid, SRC, now)
        else:
            tracker.connect(pid, SRC, now)
        if n % 100 == 0:
            tracker.tick(now)
            tracker.drain()
    return events / (time.perf_counter() - t0)


def sightings_per_second(devices: int = 1000, snapshots: int = 200) -> float:
    """Complete snapshots of `devices` stations, one every 30 s."""
    sightings = [Sighting(pid, inactive_s=1.0) for pid in _pids(devices)]
    tracker = Tracker(Rules())
    t0 = time.perf_counter()
    for n in range(snapshots):
        now = Now(wall=1.77e9 + 30 * n, mono=30.0 * n)
        tracker.snapshot(SRC, sightings, now)
        tracker.tick(now)
        tracker.drain()
    return devices * snapshots / (time.perf_counter() - t0)


def memory_per_1000_devices(devices: int = 10_000) -> float:
    """KiB the tracker holds per 1,000 devices with an open session."""
    pids = _pids(devices)
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    tracker = Tracker(Rules())
    now = Now(wall=1.77e9, mono=0.0)
    for pid in pids:
        tracker.connect(pid, SRC, now)
    tracker.drain()
    used = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
    tracemalloc.stop()
    return used / 1024 / (devices / 1000)


def run() -> list[tuple[str, float, str]]:
    return [
        ("wifi.tracker.events_per_s", round(events_per_second()), "events/s"),
        ("wifi.tracker.sightings_per_s", round(sightings_per_second()), "sightings/s"),
        ("wifi.tracker.memory_per_1000_devices", round(memory_per_1000_devices(), 1), "KiB"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:42s} {value:>12} {unit}")
