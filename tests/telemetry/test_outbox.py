"""The edge's durable outbox: seqs, acks, quota roll-ups, and care for the SD card."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.outbox import Outbox, Row, plan_rollups


def fill(box: Outbox, n: int, *, start_ts: int = 1_764_000_000_000, step_ms: int = 60_000,
         kind: str = "telemetry") -> list[int]:
    seqs = []
    for i in range(n):
        if kind == "telemetry":
            seqs.append(box.append("telemetry", "boot-a", start_ts + i * step_ms,
                                   {"print.pages.total": i, "sys.load1": 0.5, "pad": "x" * 200}))
        else:
            seqs.append(box.append("event", "boot-a", start_ts + i * step_ms, {"n": i},
                                   type="help.requested"))
    box.commit()
    return seqs


def test_seq_keeps_increasing_after_rows_are_deleted_and_the_file_reopened(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    first = fill(box, 5)
    box.delete_upto(first[-1])
    box.commit()
    box.close()
    again = Outbox(tmp_path / "o.sqlite")
    assert fill(again, 1)[0] == first[-1] + 1


def test_rows_stay_until_an_ack_covers_them(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    seqs = fill(box, 10)
    assert box.delete_upto(seqs[3]) == 4
    box.commit()
    assert [r.seq for r in box.after(0, 100)] == seqs[4:]
    assert box.oldest() == seqs[4]


def test_oldest_of_an_empty_outbox_is_the_next_seq(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    seqs = fill(box, 3)
    box.delete_upto(seqs[-1])
    box.commit()
    assert box.oldest() == seqs[-1] + 1


def test_an_ack_that_covers_nothing_writes_nothing(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    fill(box, 3)
    version = box.db.execute("PRAGMA data_version").fetchone()[0]
    changes = box.db.total_changes
    assert box.delete_upto(0) == 0
    box.commit()
    assert box.db.total_changes == changes
    assert box.db.execute("PRAGMA data_version").fetchone()[0] == version


def test_over_quota_old_telemetry_is_rolled_up_and_keeps_its_seq_range(tmp_path):
    box = Outbox(tmp_path / "o.sqlite", quota_bytes=20_000)
    seqs = fill(box, 240)  # four hours of minute samples, ~60 kB
    box.enforce_quota()
    rows = box.after(0, 1000)
    assert box.size_bytes() <= 20_000
    assert rows[0].seq == seqs[0]
    covered = set()
    for r in rows:
        covered.update(range(r.seq, (r.upto or r.seq) + 1))
    assert covered == set(seqs)  # every seq is still accounted for: no gap for central
    assert sum(r.body.get("rollup.samples", 1) for r in rows) == 240


def test_rolled_up_counters_keep_their_last_value(tmp_path):
    box = Outbox(tmp_path / "o.sqlite", quota_bytes=10_000)
    fill(box, 120)
    box.enforce_quota()
    last = box.after(0, 1000)[-1]
    assert last.body["print.pages.total"] == 119


def test_events_are_never_rolled_up_or_dropped_over_quota(tmp_path):
    box = Outbox(tmp_path / "o.sqlite", quota_bytes=1_000)
    tele = fill(box, 30)
    events = fill(box, 30, kind="event")
    box.enforce_quota()
    rows = box.after(0, 1000)
    assert [r.seq for r in rows if r.kind == "event"] == events
    assert len([r for r in rows if r.kind == "telemetry"]) < len(tele)


def test_an_event_between_samples_splits_a_roll_up(tmp_path):
    rows = [Row(1, "telemetry", "b", 0, None, "ntp", None, {"a": 1}),
            Row(2, "event", "b", 1000, None, "ntp", "x", {}),
            Row(3, "telemetry", "b", 2000, None, "ntp", None, {"a": 3})]
    assert plan_rollups(rows, 1, 900_000) == []


def test_an_older_copy_of_the_outbox_forgets_its_stored_rows_and_goes_on_above_the_ack(
        tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    fill(box, 3)  # a restored backup: seqs 1-3 of this epoch, central stored up to 500
    assert box.continue_above(500) == 3
    assert box.after(0, 10) == [] and box.oldest() == 501
    assert fill(box, 1) == [501]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["telemetry", "event"]),
                          st.integers(0, 3_000_000)), min_size=1, max_size=80))
def test_roll_up_plans_cover_each_sample_exactly_once_and_never_touch_events(spec):
    rows, ts = [], 0
    for seq, (kind, step) in enumerate(spec, start=1):
        ts += step
        rows.append(Row(seq, kind, "b", ts, None, "ntp", "e" if kind == "event" else None,
                        {"v": seq}))
    merges = plan_rollups(rows, 1, 900_000)
    events = {r.seq for r in rows if r.kind == "event"}
    touched = [s for m in merges for s in (m.keep, *m.drop)]
    assert len(touched) == len(set(touched))
    assert not events & set(touched)
    for m in merges:
        assert list(range(m.keep, m.upto + 1)) == [m.keep, *m.drop]
