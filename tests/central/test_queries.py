"""Pure read-side decisions: liveness, outage causes, dates and ranges."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from central.queries import (BadRequest, classify_outage, liveness, parse_time, series,
                             time_range)
from central.store import Store

TZ = "Asia/Ho_Chi_Minh"
DAY = 86_400_000


def test_a_will_means_lost_and_a_clean_stop_means_stopped():
    assert liveness(False, "lost", 0, 0, 180).cause == "lost"
    assert liveness(False, "stopped", 0, 0, 180).cause == "stopped"


def test_an_online_house_that_went_quiet_counts_as_offline_without_heartbeat():
    live = liveness(True, "", 1_000, 1_000 + 181_000, 180)
    assert not live.online and live.cause == "silent"
    assert liveness(True, "", 1_000, 1_000 + 179_000, 180).online


def test_same_boot_after_an_outage_is_a_network_loss():
    assert classify_outage("lost", "b1", "b1", 90_000, 600) == "network_loss"


def test_new_boot_with_uptime_shorter_than_the_outage_is_a_power_cut():
    assert classify_outage("lost", "b1", "b2", 400, 600) == "power_cut"


def test_new_boot_with_long_uptime_is_a_software_restart():
    assert classify_outage("lost", "b1", "b2", 86_400, 600) == "restart"


def test_a_clean_stop_stays_a_stop():
    assert classify_outage("stopped", "b1", "b2", 10, 600) == "stopped"


def test_a_day_is_local_midnight_in_vietnam():
    midnight = int(datetime(2026, 10, 31, 17, tzinfo=timezone.utc).timestamp() * 1000)
    assert parse_time("2026-11-01", TZ) == midnight
    assert parse_time("2026-11-01", TZ, end=True) == midnight + DAY
    assert parse_time("2026-11-01T08:30", TZ) == midnight + 8.5 * 3_600_000


@pytest.mark.parametrize("frm, to, message", [
    ("yesterday", None, "not a date"), ("2026-11-02", "2026-11-01", "before"),
    ("2020-01-01", "2026-01-01", "too long"), ("2026-02-30", None, "not a date")])
def test_bad_ranges_are_refused_with_a_message(frm, to, message):
    with pytest.raises(BadRequest, match=message):
        time_range(frm, to, TZ, 1_764_000_000_000, 7, 62)


def test_a_missing_range_defaults_to_the_last_days():
    start, end = time_range(None, None, TZ, 1_764_000_000_000, 7, 62)
    assert (start, end) == (1_764_000_000_000 - 7 * DAY, 1_764_000_000_000)


@pytest.mark.parametrize("metric", ['a"b', "wifi.clients') OR 1", "", "x" * 65])
def test_a_series_of_something_that_is_no_metric_name_is_a_bad_request(central_db, metric):
    store = Store(central_db)
    with pytest.raises(BadRequest, match="not a metric name"):
        series(store.db, "house-01", metric, 0, 3_600_000, "raw")
    store.close()


def test_the_clock_check_reads_each_houses_newest_message_of_its_current_outbox(central_db):
    import protocol
    from central.queries import latest_clock
    from central.store import Received
    store = Store(central_db)
    old, new = "a" * 32, "b" * 32
    store.write_batch([Received(m, 9_000) for m in (
        protocol.Status("house-01", True, "boot", 1_000, "0.1.0", epoch=old),
        protocol.Telemetry("house-01", "boot", 7, 7_000, {}, epoch=old),
        protocol.Status("house-01", True, "boot", 2_000, "0.1.0", epoch=new),
        protocol.Telemetry("house-01", "boot", 1, 1_000, {}, epoch=new),
        protocol.Telemetry("house-01", "boot", 2, 2_000, {}, "none", epoch=new),
        protocol.Telemetry("house-02", "boot", 1, 5_000, {}))])
    assert latest_clock(store.reader(), ["house-01", "house-02", "house-03"]) == {
        "house-01": (2_000, 9_000, "none"), "house-02": (5_000, 9_000, "ntp")}
    store.close()
