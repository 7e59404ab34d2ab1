"""Report by exception: which metrics a sample carries, and central's state rebuilt from them."""
from __future__ import annotations

import json

import pytest

import protocol
from central import latest
from central.store import Received, Store, connect
from edge.reporting import Reported, choose_metrics, is_full_due, same_value

EVERY = 900.0  # 15 minutes
T0 = 1_700_000_000.0 - 1_700_000_000.0 % EVERY + 30  # 30 s into a 15-minute slot
BOOT = "3c75032514c74c58a7f848719086ec3c"
FULL = {"print.state": "idle", "print.pages.total": 10, "wifi.clients": 3, "sys.load1": 0.5}


def run(samples: list[dict], start: float = T0, step: float = 60.0) -> list:
    """The choices for successive samples a minute apart, from a (re)start."""
    last, out = None, []
    for i, metrics in enumerate(samples):
        choice = choose_metrics(metrics, last, start + i * step, 1000.0 + i * step, EVERY)
        last = choice.reported
        out.append(choice)
    return out


def test_the_first_sample_after_a_start_carries_every_metric():
    (first,) = run([FULL])
    assert first.full and first.metrics == FULL


def test_a_later_sample_carries_only_the_metrics_that_changed():
    _, second = run([FULL, {**FULL, "wifi.clients": 4, "print.pages.total": 12}])
    assert not second.full
    assert second.metrics == {"wifi.clients": 4, "print.pages.total": 12}


def test_a_sample_with_nothing_changed_is_empty_but_still_a_sample():
    _, second = run([FULL, dict(FULL)])
    assert second.metrics == {} and not second.full


def test_a_new_metric_goes_in_the_next_sample():
    _, second = run([FULL, {**FULL, "scan.state": "idle"}])
    assert second.metrics == {"scan.state": "idle"}


@pytest.mark.parametrize("before,after", [(1, 1.0), (1, True), (0, False), ([], [0])])
def test_a_value_of_another_type_counts_as_changed(before, after):
    assert not same_value(before, after)
    _, second = run([{"x.n": before}, {"x.n": after}])
    assert second.metrics == {"x.n": after}


def test_a_full_sample_goes_first_in_every_wall_clock_slot_of_full_every():
    start = T0 - 30  # a slot's first second
    choices = run([{**FULL, "sys.load1": i / 10} for i in range(46)], start=start)
    fulls = [i for i, c in enumerate(choices) if c.full]
    assert fulls == [0, 15, 30, 45]  # minutes :00, :15, :30, :45 of the slot


def test_a_full_sample_follows_when_full_every_passed_on_the_monotonic_clock():
    last = Reported(FULL, full_wall=T0, full_mono=100.0)
    # The wall clock went back (NTP step) so no slot boundary shows: the monotonic one does.
    assert is_full_due(last, T0 - 5, 100.0 + EVERY, EVERY)
    assert not is_full_due(last, T0 - 5, 100.0 + EVERY - 1, EVERY)


def test_nothing_sent_since_a_reconnect_means_a_full_sample():
    assert is_full_due(None, T0, 0.0, EVERY)


def test_what_central_holds_is_every_value_sent_since_the_last_full_sample():
    choices = run([FULL, {**FULL, "wifi.clients": 5}, {"print.state": "idle"}])
    assert choices[-1].reported.values == {**FULL, "wifi.clients": 5}
    assert choices[-1].metrics == {}  # a metric that went away waits for the next full sample


# ----- central: the state rebuilt in the database --------------------------------------------
def telemetry(seq: int, ts: int, metrics: dict, full: bool = False) -> Received:
    return Received(protocol.Telemetry("house-01", BOOT, seq, ts, metrics, full=full), ts)


def held(store: Store) -> dict:
    db = connect(store.path, readonly=True)
    try:
        (text,) = db.execute("SELECT metrics FROM houses WHERE house = 'house-01'").fetchone()
        return json.loads(text)
    finally:
        db.close()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "central.sqlite")
    yield s
    s.close()


def test_central_merges_changed_metrics_into_the_full_state(store):
    store.write_batch([telemetry(1, 1000, FULL, full=True)])
    store.write_batch([telemetry(2, 2000, {"wifi.clients": 4})])
    store.write_batch([telemetry(3, 3000, {})])
    assert held(store) == {**FULL, "wifi.clients": 4}


def test_an_older_sample_arriving_after_a_newer_one_changes_nothing_it_had_newer(store):
    store.write_batch([telemetry(3, 3000, {"wifi.clients": 7, "print.pages.total": 20})])
    store.write_batch([telemetry(2, 2000, {"wifi.clients": 1, "scan.state": "idle"})])
    assert held(store) == {"wifi.clients": 7, "print.pages.total": 20, "scan.state": "idle"}


def test_a_full_sample_drops_metrics_it_no_longer_has_and_a_late_older_one_cannot_revive_them(
        store):
    store.write_batch([telemetry(1, 1000, FULL, full=True)])
    store.write_batch([telemetry(3, 3000, {"wifi.clients": 3}, full=True)])
    store.write_batch([telemetry(2, 2000, {"print.state": "stopped", "wifi.clients": 1})])
    assert held(store) == {"wifi.clients": 3}


def test_within_one_batch_the_newest_value_of_each_metric_wins(store):
    store.write_batch([telemetry(2, 2000, {"wifi.clients": 2}),
                       telemetry(1, 1000, {**FULL, "wifi.clients": 1}, full=True),
                       telemetry(3, 3000, {"print.pages.total": 11})])
    assert held(store) == {**FULL, "wifi.clients": 2, "print.pages.total": 11}


def test_two_writers_on_one_database_agree_on_the_state(tmp_path):
    a, b = Store(tmp_path / "c.sqlite"), Store(tmp_path / "c.sqlite")
    try:
        a.write_batch([telemetry(1, 1000, FULL, full=True)])
        b.write_batch([telemetry(3, 3000, {"wifi.clients": 9})])
        a.write_batch([telemetry(2, 2000, {"wifi.clients": 4, "print.pages.total": 11})])
        assert held(a) == {**FULL, "wifi.clients": 9, "print.pages.total": 11}
    finally:
        a.close()
        b.close()


def test_newest_values_is_the_per_metric_newest_of_a_batch():
    msgs = [protocol.Telemetry("h", BOOT, 1, 5, {"a.x": 1}, full=True),
            protocol.Telemetry("h", BOOT, 2, 9, {"a.x": 2, "b.y": 1}),
            protocol.Telemetry("h", BOOT, 3, 7, {"b.y": 3})]
    values, fulls, seen = latest.newest_values(msgs)
    assert values == {("h", "a.x"): (9, 2), ("h", "b.y"): (9, 1)}
    assert fulls == {"h": 5} and seen == {"h": 9}


def test_a_metric_left_out_of_a_sample_keeps_its_value_in_the_series():
    rows = [(1, None), (2, 5), (3, None), (4, 7.5), (5, None)]
    assert latest.carried_forward(rows) == [[2, 5], [3, 5], [4, 7.5], [5, 7.5]]
    assert latest.carried_forward(rows, held=4) == [[1, 4], [2, 5], [3, 5], [4, 7.5], [5, 7.5]]
    assert latest.carried_forward([(1, "idle")], held="x") == []


def test_the_raw_series_of_a_metric_has_a_point_at_every_sample_from_the_value_held(store):
    from central.queries import series
    store.write_batch([telemetry(1, 1_000, {**FULL, "wifi.clients": 3}, full=True),
                       telemetry(2, 61_000, {"wifi.clients": 4}),
                       telemetry(3, 121_000, {"sys.load1": 0.7}),
                       telemetry(4, 181_000, {})])
    assert series(store.db, "house-01", "wifi.clients", 60_000, 200_000, "raw") == [
        [61_000, 4], [121_000, 4], [181_000, 4]]
    assert series(store.db, "house-01", "wifi.clients", 100_000, 200_000, "raw") == [
        [121_000, 4], [181_000, 4]]


@pytest.mark.parametrize("every, ok", [("15m", True), ("1m", True), ("1h", True), ("7m", False),
                                       ("30s", False), ("2h", False)])
def test_full_every_must_divide_an_hour_so_every_hour_starts_with_a_full_sample(
        tmp_path, every, ok):
    from common.settings import ConfigError, parse_duration
    from edge import config as edge_config
    from harness.edgeproc import write_edge_config
    path = write_edge_config(tmp_path / "edge.toml", "house-01", 1883, tmp_path / "state",
                             telemetry={"full_every": every})
    if ok:
        assert edge_config.load(path).telemetry.full_every == parse_duration(every)
    else:
        with pytest.raises(ConfigError, match="full_every: must divide an hour"):
            edge_config.load(path)


def test_a_roll_up_of_changes_holds_the_last_value_of_each_and_stays_full_if_its_first_was(
        tmp_path):
    from edge.outbox import Outbox
    from edge.publisher import encode_row
    box = Outbox(tmp_path / "outbox.sqlite", quota_bytes=1)
    base = 1_764_000_000_000 - 1_764_000_000_000 % 900_000
    box.append("telemetry", BOOT, base, FULL, full=True)
    box.append("telemetry", BOOT, base + 60_000, {"wifi.clients": 5})
    box.append("telemetry", BOOT, base + 120_000, {"print.pages.total": 12})
    box.commit()
    box.enforce_quota()
    (row,) = box.after(0, 10)
    assert row.full and row.upto == 3
    assert {k: v for k, v in row.body.items() if k != "rollup.samples"} == {
        **FULL, "wifi.clients": 5, "print.pages.total": 12}
    msg, _ = encode_row("house-01", row, box.epoch)
    assert json.loads(protocol.history_json("house-01", [msg]))["rows"][0]["full"] is True
    box.close()


def test_a_metric_central_never_held_cannot_come_back_from_before_the_last_full_sample(store):
    store.write_batch([telemetry(5, 5000, {"wifi.clients": 3}, full=True)])
    store.write_batch([telemetry(2, 2000, {"print.state": "idle", "rollup.samples": 4})])
    assert held(store) == {"wifi.clients": 3}
    store.write_batch([telemetry(6, 6000, {"print.state": "idle"})])
    assert held(store) == {"wifi.clients": 3, "print.state": "idle"}


def test_only_values_from_the_last_full_sample_on_are_fresh():
    values = {("h", "a.x"): (5, 1), ("h", "b.y"): (3, 2), ("g", "a.x"): (1, 0)}
    assert latest.fresh(values, {"h": 4}) == {("h", "a.x"): (5, 1), ("g", "a.x"): (1, 0)}
