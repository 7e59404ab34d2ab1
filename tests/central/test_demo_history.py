"""The demo's made-up month goes through central's real write path, so its roll-ups are what
the charts and reports would show for real messages; every seeded row says it is a demo."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest

from central import queries
from central.rollups import DEFAULT_TZ, local_day
from central.store import connect
from harness.demo_history import SEED_EPOCH, history, seed_history
from protocol.vocabulary import event_problems, metric_problem

HOUSES = ["house-01", "house-02"]
NOW = int(datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "central.sqlite"
    report = seed_history(path, HOUSES, NOW)
    db = connect(path, readonly=True)
    yield report, db
    db.close()


def test_every_seeded_row_fits_the_vocabulary_and_is_marked_as_demo():
    rows = history(HOUSES, NOW)
    assert {r.message.epoch for r in rows} == {SEED_EPOCH}
    assert all(r.message.ts < NOW for r in rows)
    events = [r.message for r in rows if hasattr(r.message, "type")]
    assert [e.type for e in events if event_problems(e.type, e.data)] == []
    assert [m for r in rows if not hasattr(r.message, "type")
            for m, v in r.message.metrics.items() if metric_problem(m, v)] == []
    for house in HOUSES:  # numbered without gaps, in time order, per house
        seqs = [r.message.seq for r in rows if r.message.house == house]
        assert seqs == list(range(1, len(seqs) + 1))


def test_daily_pages_in_the_store_equal_the_pages_of_the_seeded_print_events(seeded):
    _, db = seeded
    expected = Counter()
    for r in history(HOUSES, NOW):
        if getattr(r.message, "type", "") == "print.job_completed":
            expected[(r.message.house, local_day(r.message.ts, DEFAULT_TZ))] += \
                r.message.data["pages"]
    stored = {(h, d): v for h, d, v in db.execute(
        "SELECT house, day, value FROM rollup_daily WHERE metric = 'print.pages'")}
    assert stored == dict(expected)


def test_thirty_days_and_today_have_figures_for_every_chart(seeded):
    _, db = seeded
    for metric in ("print.pages", "scan.jobs", "copy.jobs", "wifi.clients"):
        series = queries.series(db, "house-01", metric, NOW - 30 * 86_400_000, NOW, "day")
        busy = sum(1 for _, v in series if v)
        assert len(series) == 31 and busy >= 20, (metric, series)
    hourly = queries.series(db, "house-01", "print.pages", NOW - 7 * 86_400_000, NOW, "hour")
    assert sum(v for _, v in hourly) > 0


def test_the_house_was_on_about_its_opening_hours_and_no_help_call_is_left_open(seeded):
    _, db = seeded
    minutes = [v for (v,) in db.execute(
        "SELECT value FROM rollup_daily WHERE metric = 'online.minutes' AND house = 'house-01'"
        " AND day < ?", (local_day(NOW, DEFAULT_TZ),))]
    assert len(minutes) == 30 and all(v == 600 for v in minutes)  # 10 opening hours a day
    assert queries.open_help(db, now_ms=NOW) == []


def test_the_store_remembers_it_holds_sample_data_for_the_dashboard_banner(seeded):
    report, db = seeded
    assert queries.demo_seed(db) == f"30 days for 2 houses, epoch {SEED_EPOCH}"
    assert report.houses == 2 and report.rows > 20_000
    assert report.seconds < 60


def test_a_store_without_seeded_history_shows_no_banner(tmp_path):
    db = connect(tmp_path / "real.sqlite")
    assert queries.demo_seed(db) is None
