"""Events and samples into the outbox: checked before they get a seq, stamped with the clock."""
from __future__ import annotations

import pytest

import protocol
from edge.events import OutboxWriter, event_problems
from edge.feature import Now
from edge.outbox import Outbox


class Clock:
    """The clock's quality as the test sets it ("ntp" or "none")."""

    def __init__(self):
        self.quality = "ntp"

    def __call__(self, wall):
        return self.quality


@pytest.fixture
def rows(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite")
    writer = OutboxWriter(outbox, "b" * 32, Clock())
    yield writer
    outbox.close()


def at(mono: float) -> Now:
    return Now(1_764_000_000.0 + mono, mono)


def stored(writer: OutboxWriter):
    writer.outbox.commit()
    return writer.outbox.after(0, 100)


@pytest.mark.parametrize("event_type, data", [
    ("Help Requested", {"request": 1}),
    ("help.requested", {"who": "aa:bb:cc:dd:ee:ff"}),
    ("help.requested", {"Request": 1}),
    ("scan.completed", {"pages": float("nan")}),
    ("scan.completed", {f"k{i}": "x" * 200 for i in range(400)}),
])
def test_an_event_breaking_the_contract_is_refused_and_counted(rows, event_type, data):
    assert event_problems(event_type, data)
    assert rows.event(event_type, data, at(1)) is None
    assert rows.rejected == 1 and stored(rows) == []


def test_a_refused_event_takes_no_seq(rows):
    rows.event("help.requested", {"who": "aa:bb:cc:dd:ee:ff"}, at(1))
    assert rows.event("help.requested", {"request": 1}, at(2)) == 1


def test_every_queued_event_builds_with_its_real_seq(rows):
    rows.event("help.closed", {"request": 1, "reason": "press", "acknowledged": True,
                               "open_s": 60}, at(1))
    (row,) = stored(rows)
    protocol.build_event(protocol.Event("house-01", row.boot, row.seq, row.ts, row.type,
                                        row.body, row.tq, row.mono))


def test_unsynchronised_rows_carry_mono_and_the_first_synchronised_one_anchors_them(rows):
    rows.clock_quality.quality = "none"
    rows.sample({"a": 1}, at(1))
    rows.event("help.requested", {"request": 1}, at(2))
    rows.clock_quality.quality = "ntp"
    rows.sample({"a": 2}, at(3))
    rows.sample({"a": 3}, at(4))
    assert [(r.tq, r.mono) for r in stored(rows)] == [
        ("none", 1000), ("none", 2000), ("ntp", 3000), ("ntp", None)]


def test_a_sample_breaking_the_contract_is_dropped(rows):
    assert rows.sample({"Bad Name": 1}, at(1)) == 0 and stored(rows) == []
