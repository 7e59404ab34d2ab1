"""Outbox epochs: a new SD card's seqs are never mistaken for the old card's.

Message identity at central is (house, epoch, seq); the edge ignores an ack for another
epoch; central keeps a watermark per (house, epoch) and acknowledges the epoch the house's
latest status announced.
"""
from __future__ import annotations

import json
import sqlite3

import pytest

import protocol
from central import reports, rollups
from central.store import Received, Store
from edge.outbox import MIGRATIONS, Outbox
from edge.publisher import Publisher

OLD, NEW = "0ld0card0000000000000000000000aa", "9b1f0c2e7d3a4b5c8e6f7a8b9c0d1e2f"
T0 = 1_764_000_000_000


# ----- the contract ----------------------------------------------------------------------

def test_every_row_status_and_ack_carries_its_epoch_across_the_wire():
    t = protocol.Telemetry("house-01", "b", 7, T0, {"a": 1}, epoch=NEW)
    e = protocol.Event("house-01", "b", 8, T0, "help.requested", {"request": 1}, epoch=NEW)
    s = protocol.Status("house-01", True, "b", T0, "0.1.0", oldest=7, epoch=NEW)
    assert protocol.parse_telemetry(protocol.build_telemetry(t)).epoch == NEW
    assert protocol.parse_event(protocol.build_event(e)).epoch == NEW
    assert protocol.parse_status(protocol.build_status(s)).epoch == NEW
    assert protocol.parse_ack(protocol.build_ack(protocol.Ack(7, NEW))) == protocol.Ack(7, NEW)
    assert [r.epoch for r in protocol.parse_history(protocol.build_history("house-01", [t, e]))
            ] == [NEW, NEW]


def test_a_payload_without_an_epoch_comes_from_an_edge_before_epochs():
    legacy = b'{"v":1,"house":"house-01","boot":"b","seq":3,"ts":1,"metrics":{}}'
    assert protocol.parse_telemetry(legacy).epoch == ""
    assert protocol.parse_ack(b'{"v":1,"seq":3}').epoch == ""
    assert b"epoch" not in protocol.build_ack(protocol.Ack(3))  # old edges see what they knew


@pytest.mark.parametrize("epoch", ["x" * 65, "a b", "épo", "aa:bb:cc:dd:ee:ff", "aabbccddeeff",
                                   7, None, ["a"]])
def test_an_epoch_too_long_unsafe_or_like_a_mac_is_refused_both_ways(epoch):
    raw = (b'{"v":1,"house":"house-01","boot":"b","seq":3,"ts":1,"metrics":{},"epoch":%s}'
           % json.dumps(epoch).encode())
    with pytest.raises(protocol.PayloadError):
        protocol.parse_telemetry(raw)
    with pytest.raises(protocol.PayloadError):
        protocol.build_ack(protocol.Ack(3, epoch))


# ----- the edge ---------------------------------------------------------------------------

def fill(box: Outbox, n: int) -> list[int]:
    seqs = [box.append("telemetry", "boot-a", T0 + i * 60_000, {"sys.uptime_s": i})
            for i in range(n)]
    box.commit()
    return seqs


def test_a_new_outbox_gets_a_random_epoch_that_it_keeps(tmp_path):
    box = Outbox(tmp_path / "a.sqlite")
    epoch = box.epoch
    box.close()
    assert protocol.is_epoch(epoch) and len(epoch) == 32
    assert Outbox(tmp_path / "a.sqlite").epoch == epoch
    assert Outbox(tmp_path / "b.sqlite").epoch != epoch


def test_an_outbox_that_sent_rows_before_epochs_keeps_the_empty_epoch(tmp_path):
    path = tmp_path / "o.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    db.execute("INSERT INTO outbox (kind, boot, ts, body) VALUES ('telemetry', 'b', 1, '{}')")
    db.commit()
    db.close()
    box = Outbox(path)  # its rows may be stored at central already, under epoch ""
    assert box.epoch == "" and [r.seq for r in box.after(0, 10)] == [1]


class NoLink:
    connected = False


def publisher(box: Outbox) -> Publisher:
    return Publisher(box, NoLink(), protocol.Topics(), "house-01")


def test_a_fresh_card_never_deletes_its_rows_on_the_old_cards_watermark(tmp_path):
    box = Outbox(tmp_path / "new-card.sqlite")
    seqs = fill(box, 600)  # more rows than central ever acknowledged of the old card
    pub = publisher(box)
    pub.on_ack(protocol.Ack(500, OLD))
    pub.on_ack(protocol.Ack(500, ""))  # nor the watermark of an edge before epochs
    box.commit()
    assert [r.seq for r in box.after(0, 1000)] == seqs
    pub.on_ack(protocol.Ack(500, box.epoch))
    box.commit()
    assert box.oldest() == 501


def test_a_restored_copy_of_the_outbox_sends_nothing_twice_and_no_seq_again(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    fill(box, 20)  # the backup; the card went on to have seqs up to 300 stored, then died
    pub = publisher(box)
    pub.on_ack(protocol.Ack(300, box.epoch))
    assert box.count() == 0 and pub.acked == 300
    assert fill(box, 1) == [301]


# ----- central -----------------------------------------------------------------------------

@pytest.fixture
def store(central_db):
    s = Store(central_db)
    rollups.remember_timezone(s.db, "Asia/Ho_Chi_Minh")
    yield s
    s.close()


def status(epoch: str, oldest: int = 1, boot: str = "b") -> protocol.Status:
    return protocol.Status("house-01", True, boot, T0, "0.1.0", "", oldest, epoch)


def tele(seq: int, epoch: str, **metrics) -> protocol.Telemetry:
    return protocol.Telemetry("house-01", "b", seq, T0 + seq * 60_000,
                              metrics or {"sys.uptime_s": seq}, epoch=epoch)


def write(store: Store, *messages) -> dict:
    return store.write_batch([Received(m, T0) for m in messages])


def seqs_of(store: Store, epoch: str) -> list[int]:
    return [s for (s,) in store.db.execute(
        "SELECT seq FROM messages WHERE house = 'house-01' AND epoch = ? ORDER BY seq", (epoch,))]


def test_a_fresh_outbox_after_an_old_cards_high_watermark_loses_nothing(store):
    assert write(store, status(OLD), *[tele(s, OLD) for s in range(1, 501)]) == {"house-01": 500}
    assert write(store, status(NEW, boot="b2"), *[tele(s, NEW) for s in range(1, 601)]) == {
        "house-01": 600}
    assert seqs_of(store, NEW) == list(range(1, 601))
    assert seqs_of(store, OLD) == list(range(1, 501))


def test_the_ack_is_for_the_epoch_the_latest_status_announces(store):
    write(store, status(OLD), *[tele(s, OLD) for s in range(1, 11)])
    write(store, status(NEW, boot="b2"), tele(1, NEW), tele(2, NEW))
    # The old card's last rows, still queued at the broker, are stored under their epoch;
    # the ack stays the new card's.
    assert write(store, tele(11, OLD), tele(12, OLD)) == {"house-01": 2}
    assert store.epoch_of("house-01") == NEW
    assert (store.watermark("house-01", OLD), store.watermark("house-01", NEW)) == (12, 2)


def test_central_restarted_keeps_the_watermark_of_every_epoch(tmp_path, store):
    write(store, status(OLD), *[tele(s, OLD) for s in range(1, 41)])
    write(store, status(NEW, boot="b2"), *[tele(s, NEW) for s in range(1, 8)], tele(9, NEW))
    store.close()
    again = Store(store.path)
    assert again.acked() == {"house-01": 7}
    assert (again.watermark("house-01", OLD), again.watermark("house-01", NEW)) == (40, 7)
    assert again.first_gap("house-01") == (8, 8)
    assert again.write_batch([Received(tele(8, NEW), T0)]) == {"house-01": 9}
    again.close()


def test_gaps_are_chased_in_the_current_epoch_only(store):
    write(store, status(OLD), tele(1, OLD), tele(5, OLD))
    assert store.first_gap("house-01") == (2, 4)
    write(store, status(NEW, boot="b2"), tele(1, NEW))
    assert store.first_gap("house-01") is None  # the old card is gone: nothing to ask it


def test_a_resend_answer_moves_the_floor_of_the_epoch_it_names(store):
    write(store, status(OLD), tele(1, OLD), tele(5, OLD))
    store.raise_floor("house-01", 4, NEW)
    assert store.watermark("house-01", OLD) == 1
    store.raise_floor("house-01", 4, OLD)
    assert store.acked() == {"house-01": 4}


def test_reports_and_help_count_the_messages_of_every_epoch(store):
    job = {"job": 1, "pages": 3}
    for epoch in (OLD, NEW):  # the same seqs on both cards: two jobs, two HELP requests
        write(store, protocol.Event("house-01", "b", 1, T0, "print.job_completed", job,
                                    epoch=epoch),
              protocol.Event("house-01", "b", 2, T0, "help.requested", {"request": 1},
                             epoch=epoch))
    rows = reports.build(store.reader(), "2025-11-24", "2025-11-25", None, False, {})
    assert sum(r["pages_printed"] for r in rows) == 6
    assert sum(r["help_requests"] for r in rows) == 2
    assert store.db.execute("SELECT count(*) FROM help_requests").fetchone()[0] == 2
