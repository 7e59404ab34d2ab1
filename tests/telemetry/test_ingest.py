"""Central's ingest: bad payloads never stop good ones; the watermark never outruns the store."""
from __future__ import annotations

import json
import os
import zlib

import pytest

from central.collector import stand_in, vocabulary_problem
from central.store import Received, Store
import protocol
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient, query, start_collector, stored_seqs

T = protocol.Topics()
BOOT = "3c75032514c74c58a7f848719086ec3c"


def tele(seq: int, house: str = "house-01", **kw) -> protocol.Telemetry:
    return protocol.Telemetry(house, BOOT, seq, 1_764_000_000_000 + seq, {"a.total": seq}, **kw)


def deep(n: int):
    return {"x": deep(n - 1)} if n else 1


BAD = {
    "bad_json": (T.telemetry("house-01"), os.urandom(300)),
    "bad_schema": (T.telemetry("house-01"), json.dumps(
        {"v": 1, "house": "house-01", "boot": BOOT, "seq": "7", "ts": 1, "metrics": {}}).encode()),
    "bad_version": (T.telemetry("house-01"), json.dumps(
        {"v": 9, "house": "house-01", "boot": BOOT, "seq": 7, "ts": 1, "metrics": {}}).encode()),
    "too_large": (T.event("house-01"), b'{"v":1,"pad":"' + b"x" * (1024 * 1024) + b'"}'),
    "house_mismatch": (T.telemetry("house-01"), protocol.build_telemetry(tele(7, "house-02"))),
    "privacy": (T.telemetry("house-01"), protocol.build_telemetry(tele(7)).replace(
        b'"a.total":7', b'"a.total":"aa:bb:cc:dd:ee:ff"')),
}


@pytest.fixture
def collector(tmp_path, broker, central_db):
    c = start_collector(tmp_path, broker.port, central_db)
    yield c
    c.stop()
    c.store.close()


def test_bad_payloads_are_counted_by_reason_and_good_ones_between_them_all_stored(
        tmp_path, broker, collector):
    house = WireClient(broker.port)
    seq = 0
    for topic, payload in [*BAD.values(), (T.event("house-01"), json.dumps(
            {"v": 1, "house": "house-01", "boot": BOOT, "seq": 99, "ts": 1, "type": "x.y",
             "data": deep(40)}).encode()), (T.history("house-01"), zlib.compress(os.urandom(500)))]:
        seq += 1
        house.publish(T.telemetry("house-01"), protocol.build_telemetry(tele(seq)))
        house.publish(topic, payload)
    wait_for(lambda: len(stored_seqs(collector.store.path, "house-01")) == seq, 15,
             what="every good sample stored")
    wait_for(lambda: sum(collector.rejected.values()) == len(BAD) + 2, 10,
             what="every bad payload rejected")
    for reason in BAD:
        assert collector.rejected[reason] >= 1, reason
    assert stored_seqs(collector.store.path, "house-01") == list(range(1, seq + 1))
    house.close()


def test_a_history_batch_is_stored_row_by_row_and_acknowledged(tmp_path, broker, collector):
    house = WireClient(broker.port)
    house.subscribe(T.ack("house-01"))
    house.publish(T.history("house-01"), protocol.build_history(
        "house-01", [tele(s) for s in range(1, 61)]))
    wait_for(lambda: [protocol.parse_ack(p).seq for p in house.on("/ack")].count(60), 15,
             what="an ack for the whole batch")
    assert stored_seqs(collector.store.path, "house-01") == list(range(1, 61))
    house.close()


def test_a_wrongly_typed_row_in_a_history_batch_is_rejected_alone_and_the_ack_covers_it(
        tmp_path, broker, collector):
    house = WireClient(broker.port)
    house.subscribe(T.ack("house-01"))
    rows = [tele(s) for s in range(1, 11)]
    rows[3] = protocol.Telemetry("house-01", BOOT, 4, rows[3].ts, {"sys.uptime_s": "abc"})
    rows[6] = protocol.Telemetry("house-01", BOOT, 7, rows[6].ts, {"print.reasons": "x"},
                                 upto=8)
    del rows[7]  # seq 8 is part of the roll-up at 7
    rows[8] = protocol.Event("house-01", BOOT, 10, rows[8].ts, "help.requested", {"request": 0})
    house.publish(T.history("house-01"), protocol.build_history("house-01", rows))
    wait_for(lambda: [protocol.parse_ack(p).seq for p in house.on("/ack")].count(10), 15,
             what="an ack for the whole batch")
    assert collector.rejected["bad_value"] == 3
    stored = {seq: (kind, type_, json.loads(body), upto) for seq, kind, type_, body, upto in
              query(collector.store.path, "SELECT seq, kind, type, body, upto FROM messages")}
    assert sorted(stored) == [1, 2, 3, 4, 5, 6, 7, 9, 10]
    assert stored[4][:2] == ("event", "ingest.rejected") and "abc" not in json.dumps(stored[4])
    assert stored[7] == ("telemetry", None, {}, 8)  # a roll-up keeps what it stands for
    assert stored[10][2]["problem"] == "help.requested: request: out of range: expected int ≥ 1"
    assert stored[5][2] == {"a.total": 5}
    house.close()


def test_only_known_names_with_wrong_values_are_problems():
    assert vocabulary_problem(tele(1)) == ""  # a.total: not in the vocabulary
    bad = protocol.Telemetry("house-01", BOOT, 2, 1, {"sys.load1": 0.2, "wifi.clients": "7"})
    assert vocabulary_problem(bad) == "wifi.clients: expected an integer"
    assert vocabulary_problem(status(1)) == ""
    replaced = stand_in(bad, "bad_value", "wifi.clients: expected an integer")
    assert (replaced.seq, replaced.ts, replaced.type) == (2, 1, "ingest.rejected")


# ----- the store's watermark and clocks (plain values, a real SQLite file) ---------------

@pytest.fixture
def store(central_db):
    s = Store(central_db)
    yield s
    s.close()


def write(store: Store, *messages) -> dict:
    return store.write_batch([Received(m, 1) for m in messages])


def status(oldest: int) -> protocol.Status:
    return protocol.Status("house-01", True, BOOT, 1, "0.1.0", "", oldest)


def test_a_live_sample_after_an_outage_does_not_ack_the_backlog_below_it(store):
    assert write(store, status(1), tele(500)) == {"house-01": 0}
    assert write(store, *[tele(s) for s in range(1, 250)]) == {"house-01": 249}
    assert write(store, *[tele(s) for s in range(250, 500)]) == {"house-01": 500}


def test_the_houses_declared_oldest_seq_starts_the_watermark(store):
    assert write(store, status(1001), tele(1001), tele(1002)) == {"house-01": 1002}


def test_a_roll_up_covers_the_seqs_it_stands_for(store):
    assert write(store, tele(1), tele(2, upto=40), tele(41)) == {"house-01": 41}


def test_a_roll_up_of_samples_partly_stored_still_fills_the_gap(store):
    assert write(store, tele(1), tele(2), tele(3), tele(9)) == {"house-01": 3}
    assert write(store, tele(2, upto=8)) == {"house-01": 9}


def test_the_first_gap_above_the_watermark_is_reported(store):
    write(store, tele(1), tele(2), tele(6), tele(9))
    assert store.first_gap("house-01") == (3, 5)


def test_unsynchronised_samples_are_retimed_from_the_first_synchronised_one(store):
    before = tele(1, tq="none", mono=10_000)
    anchor = tele(3, tq="ntp", mono=70_000)  # ts 1_764_000_000_003 at mono 70 s
    late = tele(2, tq="none", mono=40_000)  # arrives after the anchor (backlog)
    write(store, before, anchor)
    write(store, late)
    rows = dict(((s, (ts, tq)) for s, ts, tq in store.db.execute(
        "SELECT seq, ts, tq FROM messages ORDER BY seq")))
    assert rows[1] == (anchor.ts - 60_000, "retimed")
    assert rows[2] == (anchor.ts - 30_000, "retimed")
    assert rows[3] == (anchor.ts, "ntp")


def test_samples_of_another_boot_are_not_retimed_by_this_boots_anchor(store):
    other = protocol.Telemetry("house-01", "other-boot", 1, 5, {"a": 1}, "none", 10_000)
    write(store, other, tele(2, tq="ntp", mono=70_000))
    assert store.db.execute("SELECT ts, tq FROM messages WHERE seq = 1").fetchone() == (5, "none")
