"""Exact roll-ups: an outbox rolled up over its quota gives central the same figures as the
raw rows would have (online minutes, Wi-Fi peaks, reports), and a roll-up of rows central
partly holds fills exactly the missing ones.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocol
from central import reports, rollups
from central.collector import stand_in, vocabulary_problem
from central.store import Received, Store
from edge.outbox import MAX_ROLLUP_BYTES, Outbox, Row, own_samples, plan_rollups
from edge.publisher import encode_row
from tests.telemetry.outage import MINUTE, T0, outage, record, rolled_up, wire


def central(path: Path, *batches: list) -> Store:
    store = Store(path)
    rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
    for batch in batches:
        for i in range(0, len(batch), 500):
            store.write_batch([Received(m, T0) for m in batch[i:i + 500]])
    return store


def figures(store: Store) -> dict:
    db = store.db
    return {"daily": db.execute("SELECT * FROM rollup_daily ORDER BY 1, 2, 3").fetchall(),
            "hourly": db.execute("SELECT * FROM rollup_hourly ORDER BY 1, 2, 3").fetchall(),
            "report": reports.build(store.reader(), "2025-11-20", "2025-12-10", None, False, {})}


def stored_seqs(store: Store) -> list[int]:
    return [s for (s,) in store.db.execute("SELECT seq FROM messages ORDER BY seq")]


# ----- the edge keeps what central counts ---------------------------------------------------

def test_a_roll_up_keeps_every_samples_seq_time_and_wifi_gauges(tmp_path):
    box = record(tmp_path / "raw.sqlite", outage(2))
    raw = [s for row in box.after(0, 10**6) if row.kind == "telemetry" for s in own_samples(row)]
    small = rolled_up(box, tmp_path / "small.sqlite", 60_000)
    rows = small.after(0, 10**6)
    assert max(r.level for r in rows) == 3  # rolled up to days
    assert [s for row in rows if row.kind == "telemetry" for s in own_samples(row)] == raw


def test_an_anchor_is_never_merged_so_central_can_still_retime_its_boot():
    rows = [Row(1, "telemetry", "b", 0, 5_000, "none", None, {}),
            Row(2, "telemetry", "b", 60_000, 65_000, "none", None, {}),
            Row(3, "telemetry", "b", 120_000, 125_000, "ntp", None, {}),  # the anchor
            Row(4, "telemetry", "b", 180_000, None, "ntp", None, {}),
            Row(5, "telemetry", "b", 240_000, None, "ntp", None, {})]
    merges = plan_rollups(rows, 1, 900_000)
    assert [(m.keep, m.upto) for m in merges] == [(1, 2), (4, 5)]
    assert [s.mono for s in merges[0].samples] == [5_000, 65_000]


def test_a_day_of_ten_second_samples_rolls_up_into_rows_that_fit_a_payload(tmp_path):
    box = Outbox(tmp_path / "o.sqlite", quota_bytes=1)
    big = 2**53 - 1  # gauges as long as the contract allows
    for i in range(8640):
        box.append("telemetry", "b", T0 + i * 10_000,
                   {"wifi.clients": big - i, "wifi.unique.today": big, "pad": "x" * 200})
    box.commit()
    box.enforce_quota()
    rows = box.after(0, 10**6)
    assert len(rows) < 100
    assert sum(len(r.samples) for r in rows) == 8640
    for row in rows:
        assert len(row.samples) <= protocol.MAX_ROLLUP_SAMPLES
        msg, payload = encode_row("house-01", row, box.epoch)
        assert isinstance(msg, protocol.Telemetry)  # never the stand-in of a refused row
        assert len(payload) <= MAX_ROLLUP_BYTES + 2_000


def test_a_backlog_batch_that_would_inflate_past_central_s_limit_is_refused_when_built():
    samples = tuple(protocol.Sample(1 + i, T0 + i * MINUTE, {"wifi.clients": 10**15 + i})
                    for i in range(1400))
    row = protocol.Telemetry("house-01", "b", 1, T0, {"rollup.samples": 1400}, upto=1400,
                             samples=samples)
    assert len(protocol.build_telemetry(row)) < protocol.MAX_PAYLOAD
    with pytest.raises(protocol.PayloadError, match="too_large"):
        protocol.build_history("house-01", [row] * 60)  # compresses well, inflates to 2 MB


@pytest.mark.parametrize("samples,problem", [
    ({"seq": [2, 1], "ts": [T0, 1]}, "out_of_range"),  # must start at the row's seq
    ({"seq": [1, 0], "ts": [T0, 1]}, "out_of_range"),  # ascending
    ({"seq": [1, 20], "ts": [T0, 1]}, "out_of_range"),  # not past upto
    ({"seq": [1, 1], "ts": [T0]}, "bad_schema"),  # one ts per sample
    ({"seq": [1, 1], "ts": [T0, 1], "values": {"wifi.clients": [1]}}, "bad_schema"),
    ({"seq": [1, 1], "ts": [T0, 1], "values": {"wifi.clients": [1, "7"]}}, "bad_value"),
    ({"seq": [1] * 1441, "ts": [T0] + [1] * 1440}, "bad_schema"),  # at most a day of minutes
    ({"seq": [1], "ts": [T0], "extra": 1}, "bad_schema"),
])
def test_roll_up_samples_that_break_the_contract_are_refused(samples, problem):
    raw = json.dumps({"v": 1, "house": "house-01", "boot": "b", "seq": 1, "ts": T0,
                      "metrics": {}, "upto": 10, "samples": samples}).encode()
    with pytest.raises(protocol.PayloadError) as err:
        protocol.parse_telemetry(raw)
    assert err.value.reason == problem


def test_a_roll_up_with_one_wrongly_typed_sample_is_replaced_whole_by_its_stand_in():
    rollup = protocol.Telemetry("house-01", "b", 1, T0, {}, upto=2, samples=(
        protocol.Sample(1, T0, {"wifi.clients": 3}), protocol.Sample(2, T0, {"wifi.clients": -1})))
    problem = vocabulary_problem(rollup)
    assert problem.startswith("wifi.clients:")
    replaced = stand_in(rollup, "bad_value", problem)
    assert (replaced.upto, replaced.samples, dict(replaced.metrics)) == (2, (), {})


# ----- central counts a roll-up as the raw rows ---------------------------------------------

def test_an_outbox_rolled_up_in_a_long_outage_gives_the_same_figures_as_the_raw_rows(tmp_path,
                                                                                     central_dbs):
    box = record(tmp_path / "raw.sqlite", outage(3))
    raw = central(central_dbs("raw-central"), wire(box))
    for quota, level in ((400_000, 1), (150_000, 2), (60_000, 3)):
        small = rolled_up(box, tmp_path / f"rolled-{level}.sqlite", quota)
        assert max(r.level for r in small.after(0, 10**6)) == level
        store = central(central_dbs(f"central-{level}"), wire(small))
        assert figures(store) == figures(raw), f"rolled up to level {level}"
        assert stored_seqs(store) == stored_seqs(raw)
        assert store.acked() == raw.acked() == {"house-01": box.last_seq()}
    online = sum(r["hours_online"] for r in figures(raw)["report"])
    assert online == pytest.approx(len({ts // MINUTE for ts, in raw.db.execute(
        "SELECT ts FROM messages WHERE kind = 'telemetry'")}) / 60, abs=0.05)


def test_a_partly_delivered_span_is_filled_exactly_and_never_counted_twice(tmp_path,
                                                                           central_dbs):
    box = record(tmp_path / "raw.sqlite", outage(1))
    raw_rows = wire(box)
    raw = central(central_dbs("raw-central"), raw_rows)
    delivered = raw_rows[:200] + raw_rows[300::3]  # a prefix, then every third row
    store = central(central_dbs("c"), delivered,
                    wire(rolled_up(box, tmp_path / "rolled.sqlite", 30_000)))
    assert figures(store) == figures(raw)
    assert stored_seqs(store) == stored_seqs(raw)


def test_samples_taken_before_the_clock_was_synchronised_are_retimed_as_the_raw_rows(tmp_path,
                                                                                     central_dbs):
    box = record(tmp_path / "raw.sqlite", outage(0.5), unsynced=300)
    rows = wire(box)
    anchor = next(r for r in rows if isinstance(r, protocol.Telemetry) and r.tq == "ntp"
                  and r.mono is not None)
    raw = central(central_dbs("raw-central"), [rows[0], anchor], rows)
    small = rolled_up(box, tmp_path / "rolled.sqlite", 20_000)
    assert any(r.tq == "none" and r.samples for r in small.after(0, 10**6))
    store = central(central_dbs("c"), [rows[0], anchor], wire(small))
    assert figures(store) == figures(raw)
    retimed = "SELECT seq, ts, tq FROM messages WHERE tq != 'ntp' ORDER BY seq"
    assert store.db.execute(retimed).fetchall() == raw.db.execute(retimed).fetchall() != []


def test_a_roll_up_over_one_central_stored_before_samples_were_kept_skips_its_span(tmp_path,
                                                                                   central_dbs):
    store = central(central_dbs("c"))
    legacy = protocol.Telemetry("house-01", "b", 10, T0 + 20 * MINUTE, {"rollup.samples": 11},
                                upto=20)
    exact = protocol.Telemetry("house-01", "b", 1, T0 + 30 * MINUTE, {}, upto=31, samples=tuple(
        protocol.Sample(s, T0 + s * MINUTE, {"wifi.clients": s}) for s in range(1, 32)))
    store.write_batch([Received(legacy, T0)])
    store.write_batch([Received(exact, T0)])
    minutes = store.db.execute("SELECT sum(value) FROM rollup_daily WHERE metric = ?",
                               (rollups.ONLINE_MINUTES,)).fetchone()[0]
    assert minutes == 31 - 11 + 1  # the legacy row counted once, as before
    assert stored_seqs(store) == [*range(1, 10), 10, *range(21, 32)]
    assert store.acked() == {"house-01": 31}


def test_a_roll_up_reaching_in_from_below_covers_what_it_stood_for(tmp_path,
                                                                   central_dbs):
    store = central(central_dbs("c"))
    legacy = protocol.Telemetry("house-01", "b", 1, T0 + 20 * MINUTE, {}, upto=20)
    raw = protocol.Telemetry("house-01", "b", 5, T0 + 5 * MINUTE, {})  # a resent one inside
    exact = protocol.Telemetry("house-01", "b", 10, T0 + 30 * MINUTE, {}, upto=30, samples=tuple(
        protocol.Sample(s, T0 + s * MINUTE, {}) for s in range(10, 31)))
    store.write_batch([Received(legacy, T0), Received(raw, T0)])
    store.write_batch([Received(exact, T0)])
    assert stored_seqs(store) == [1, 5, *range(21, 31)]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 30), st.one_of(st.none(), st.integers(0, 40)),
                          st.booleans()), min_size=2, max_size=150),
       st.sets(st.integers(0, 200)), st.sampled_from([0, 1, 2, 3]))
def test_any_mix_of_raw_rows_and_roll_ups_counts_each_sample_once(tmp_path_factory, central_dbs,
                                                                  minutes, early, level):
    tmp = tmp_path_factory.mktemp("mix")
    box = record(tmp / "raw.sqlite", [(step, clients, printed and i % 9 == 0)
                                      for i, (step, clients, printed) in enumerate(minutes)])
    raw_rows = wire(box)
    raw = central(central_dbs("raw-central"), raw_rows)
    quota = [10**9, 20_000, 8_000, 1][level]
    late = wire(rolled_up(box, tmp / "rolled.sqlite", quota))
    store = central(central_dbs("c"), [r for i, r in enumerate(raw_rows) if i in early], late,
                    late)  # and a replay of the whole backlog
    assert figures(store) == figures(raw)
    assert stored_seqs(store) == stored_seqs(raw)
    assert store.acked() == raw.acked()
