"""Session rules of the pure tracker, one rule per test, with time passed in."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from edge.feature import Now
from edge.wifi.tracker import Rules, Sighting, Tracker

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=HCM).timestamp()  # 09:00 local
SRC = "hostapd:wlan0"


def at(seconds: float) -> Now:
    return Now(wall=T0 + seconds, mono=5000.0 + seconds)


def parts(tracker: Tracker):
    return [(p.pid, p.start_wall - T0, p.seconds) for p in tracker.drain()[1]]


def test_a_session_opens_on_connect_and_ends_at_the_disconnect_after_the_grace_period():
    t = Tracker()
    t.connect("a", SRC, at(0))
    t.disconnect("a", SRC, at(300))
    t.tick(at(359))
    assert parts(t) == [] and t.active_sessions() == 1 and t.clients() == 0
    t.tick(at(360))
    assert parts(t) == [("a", 0, 300)]


def test_a_reconnect_within_the_grace_period_continues_the_session():
    t = Tracker()
    t.connect("a", SRC, at(0))
    t.disconnect("a", SRC, at(300))
    t.connect("a", SRC, at(340))
    t.disconnect("a", SRC, at(900))
    t.tick(at(2000))
    assert parts(t) == [("a", 0, 900)]


def test_a_reconnect_after_the_grace_period_starts_a_new_session():
    t = Tracker()
    t.connect("a", SRC, at(0))
    t.disconnect("a", SRC, at(300))
    t.tick(at(361))
    t.connect("a", SRC, at(400))
    t.disconnect("a", SRC, at(500))
    t.tick(at(1000))
    assert parts(t) == [("a", 0, 300), ("a", 400, 100)]


def test_duplicate_connect_and_disconnect_events_change_nothing():
    t = Tracker()
    t.connect("a", SRC, at(0))
    t.connect("a", SRC, at(0))
    t.disconnect("a", SRC, at(300))
    t.disconnect("a", SRC, at(310))
    t.tick(at(1000))
    assert parts(t) == [("a", 0, 300)]


def test_two_missed_snapshots_end_the_session_at_the_last_sighting():
    t = Tracker()
    t.snapshot(SRC, [Sighting("a")], at(0))
    t.snapshot(SRC, [Sighting("a")], at(30))
    t.snapshot(SRC, [], at(60))
    assert t.clients() == 1
    t.snapshot(SRC, [], at(90))
    assert parts(t) == [("a", 0, 30)] and t.clients() == 0


def test_a_first_sighting_with_connected_time_starts_the_session_in_the_past():
    t = Tracker()
    t.snapshot(SRC, [Sighting("a", connected_s=412)], at(1000))
    t.disconnect("a", SRC, at(1100))
    t.tick(at(2000))
    assert parts(t) == [("a", 588, 512)]


def test_an_idle_station_ends_its_session_at_its_last_activity():
    t = Tracker(Rules(idle=600))
    t.connect("a", SRC, at(0))
    t.snapshot(SRC, [Sighting("a", inactive_s=601)], at(1000))
    assert parts(t) == [("a", 0, 399)] and t.clients() == 0


def test_an_idle_station_that_becomes_active_starts_a_new_session():
    t = Tracker(Rules(idle=600))
    t.connect("a", SRC, at(0))
    t.snapshot(SRC, [Sighting("a", inactive_s=700)], at(1000))
    t.snapshot(SRC, [Sighting("a", inactive_s=800)], at(1100))
    t.drain()
    t.snapshot(SRC, [Sighting("a", inactive_s=5)], at(1200))
    assert t.clients() == 1
    assert [(o.pid, o.start_wall - T0) for o in t.drain()[0]] == [("a", 1195)]


def test_a_session_is_split_at_local_midnight():
    t = Tracker(Rules(timezone="Asia/Ho_Chi_Minh"))
    t.connect("a", SRC, at(14 * 3600))  # 23:00 local
    t.tick(at(15 * 3600 + 5))  # 00:00:05 next day
    t.disconnect("a", SRC, at(16 * 3600))
    t.tick(at(17 * 3600))
    got = [(p.day, p.seconds, p.continued) for p in t.drain()[1]]
    assert got == [("2026-03-14", 3600, False), ("2026-03-15", 3600, True)]


def test_a_session_closed_after_midnight_without_a_tick_is_still_split():
    t = Tracker()
    t.connect("a", SRC, at(14 * 3600))
    t.disconnect("a", SRC, at(15 * 3600 + 600))
    t.tick(at(20 * 3600))
    assert [(p.day, p.seconds) for p in t.drain()[1]] == [
        ("2026-03-14", 3600), ("2026-03-15", 600)]


def test_moving_between_two_radios_keeps_one_session():
    t = Tracker()
    t.connect("a", "hostapd:wlan0", at(0))
    t.connect("a", "hostapd:wlan1", at(100))  # band steering: new radio first
    t.disconnect("a", "hostapd:wlan0", at(101))
    t.tick(at(500))
    assert t.clients() == 1 and parts(t) == []


def test_a_restored_session_confirmed_by_a_snapshot_continues():
    t = Tracker()
    t.restore("a", T0 - 600, T0 - 10, False, at(0))
    t.snapshot(SRC, [Sighting("a")], at(5))
    t.disconnect("a", SRC, at(100))
    t.tick(at(1000))
    assert parts(t) == [("a", -600, 700)]


def test_a_restored_session_missing_from_the_first_snapshot_ends_at_its_last_sighting():
    t = Tracker()
    t.restore("a", T0 - 600, T0 - 10, False, at(0))
    t.snapshot(SRC, [], at(5))
    assert parts(t) == [("a", -600, 590)]


def test_a_restored_session_nobody_confirms_ends_after_the_reconcile_timeout():
    t = Tracker(Rules(reconcile=120))
    t.restore("a", T0 - 600, T0 - 10, False, at(0))
    t.tick(at(119))
    assert t.active_sessions() == 1
    t.tick(at(120))
    assert parts(t) == [("a", -600, 590)]


def test_infrastructure_devices_are_not_counted_as_clients():
    t = Tracker()
    t.infra = frozenset({"tv"})
    t.connect("tv", SRC, at(0))
    t.connect("a", SRC, at(0))
    assert (t.clients(), t.active_sessions(), t.infrastructure_present()) == (1, 1, 1)
    t.disconnect("tv", SRC, at(10))
    t.tick(at(100))
    assert [p.infra for p in t.drain()[1]] == [True]


def test_a_new_sighting_never_starts_before_the_previous_session_ended():
    t = Tracker()
    t.connect("a", SRC, at(0))
    t.disconnect("a", SRC, at(100))
    t.tick(at(200))
    t.snapshot(SRC, [Sighting("a", connected_s=1000)], at(300))  # counter from before
    t.disconnect("a", SRC, at(400))
    t.tick(at(1000))
    assert parts(t) == [("a", 0, 100), ("a", 100, 300)]
