"""Property-based tests of the tracker under random interleavings of events and snapshots."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from edge.feature import Now
from edge.wifi.rollup import build_daily
from edge.wifi.tracker import Rules, Sighting, Tracker

TZ = "Asia/Ho_Chi_Minh"
HCM = ZoneInfo(TZ)
T0 = datetime(2026, 3, 14, 20, 0, tzinfo=HCM).timestamp()  # 20:00 local: crosses midnight
OFFSET = T0 - 1000.0  # wall - mono, constant
GRACE = 60
SRC = "hostapd:wlan0"
RULES = Rules(grace=GRACE, missed=2, idle=600, timezone=TZ)

gap = st.integers(0, 7200).filter(lambda g: g != GRACE)
interval = st.tuples(gap, st.integers(0, 20000))
device_plan = st.lists(interval, min_size=1, max_size=4)
plans = st.lists(device_plan, min_size=1, max_size=5)
quarter_times = st.lists(st.integers(0, 4 * 110000).map(lambda q: q / 4), max_size=40)


def intervals(plan):
    """Absolute (on, off) connection intervals of one device, in seconds after T0."""
    out, t = [], 0
    for g, length in plan:
        on = t + g
        out.append((on, on + length))
        t = on + length
    return out


def events(all_plans, tiebreak):
    items = []
    for d, plan in enumerate(all_plans):
        for seq, (on, off) in enumerate(intervals(plan)):
            items.append((on, tiebreak[d], 2 * seq, "connect", f"d{d}"))
            items.append((off, tiebreak[d], 2 * seq + 1, "disconnect", f"d{d}"))
    return items


def run(all_plans, tiebreak, snapshot_times, tick_times, duplicate=frozenset(), check=None):
    """Feed everything in time order; return the closed parts."""
    items = events(all_plans, tiebreak)
    items += [(t, 0.5, 0, "snapshot", "") for t in snapshot_times]
    items += [(t, 0.5, 1, "tick", "") for t in tick_times]
    items.sort(key=lambda i: i[:3])
    end = max(i[0] for i in items) + 10 * GRACE
    items.append((end, 0, 0, "tick", ""))
    tracker, model, closed = Tracker(RULES), set(), []
    for n, (t, _tb, _seq, kind, pid) in enumerate(items):
        now = Now(wall=T0 + t, mono=1000.0 + t)
        for _ in range(2 if n in duplicate else 1):
            if kind == "connect":
                tracker.connect(pid, SRC, now, randomized=pid in ("d0", "d2"))
                model.add(pid)
            elif kind == "disconnect":
                tracker.disconnect(pid, SRC, now)
                model.discard(pid)
            elif kind == "snapshot":
                tracker.snapshot(SRC, [Sighting(p) for p in sorted(model)], now)
            else:
                tracker.tick(now)
        closed += tracker.drain()[1]
        if check:
            check(tracker, model)
    return closed


def expected_parts(all_plans):
    """The truth: intervals merged across gaps shorter than the grace, split at midnight."""
    out = []
    for d, plan in enumerate(all_plans):
        merged = []
        for on, off in intervals(plan):
            if merged and on - merged[-1][1] < GRACE:
                merged[-1][1] = off
            else:
                merged.append([on, off])
        for on, off in merged:
            start = T0 + on
            while True:
                day = datetime.fromtimestamp(start, HCM).date()
                midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                            HCM).timestamp()
                if T0 + off <= midnight:
                    out.append((f"d{d}", day.isoformat(), start, T0 + off - start))
                    break
                out.append((f"d{d}", day.isoformat(), start, midnight - start))
                start = midnight
    return sorted(out)


def summary(parts):
    return sorted((p.pid, p.day, p.start_wall, p.seconds) for p in parts)


def daily(parts):
    days = sorted({p.day for p in parts})
    return {d: build_daily(d, parts, set(), TZ) for d in days}


common = dict(all_plans=plans, tiebreak=st.lists(st.floats(0, 1), min_size=5, max_size=5),
              snapshots=quarter_times, ticks=quarter_times)


@settings(max_examples=150, deadline=None)
@given(**common)
def test_sessions_are_the_connections_merged_across_short_gaps(all_plans, tiebreak, snapshots,
                                                               ticks):
    assert summary(run(all_plans, tiebreak, snapshots, ticks)) == expected_parts(all_plans)


@settings(max_examples=150, deadline=None)
@given(**common)
def test_no_device_ever_has_overlapping_sessions(all_plans, tiebreak, snapshots, ticks):
    by_device: dict[str, list] = {}
    for p in run(all_plans, tiebreak, snapshots, ticks):
        by_device.setdefault(p.pid, []).append((p.start_wall, p.end_wall))
    for spans in by_device.values():
        spans.sort()
        assert all(a[1] <= b[0] + 1e-6 for a, b in zip(spans, spans[1:]))


@settings(max_examples=150, deadline=None)
@given(**common)
def test_concurrent_clients_equal_open_sessions_of_connected_devices(all_plans, tiebreak,
                                                                     snapshots, ticks):
    def check(tracker, model):
        assert tracker.clients() == len(model)
        connected = {pid for pid, s in tracker.open.items() if s.pending_since is None}
        assert connected == model
        assert tracker.active_sessions() >= tracker.clients()

    run(all_plans, tiebreak, snapshots, ticks, check=check)


@settings(max_examples=150, deadline=None)
@given(**common, duplicate=st.sets(st.integers(0, 80)))
def test_duplicate_events_change_nothing(all_plans, tiebreak, snapshots, ticks, duplicate):
    once = run(all_plans, tiebreak, snapshots, ticks)
    twice = run(all_plans, tiebreak, snapshots, ticks, duplicate=frozenset(duplicate))
    assert summary(twice) == summary(once)


@settings(max_examples=150, deadline=None)
@given(**common, other_snapshots=quarter_times, other_ticks=quarter_times)
def test_daily_figures_do_not_depend_on_poll_jitter(all_plans, tiebreak, snapshots, ticks,
                                                   other_snapshots, other_ticks):
    one = daily(run(all_plans, tiebreak, snapshots, ticks))
    other = daily(run(all_plans, tiebreak, other_snapshots, other_ticks))
    assert one == other
