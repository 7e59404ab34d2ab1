"""Rollups and reports over the real store: totals equal the sum of the stored events."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central import reports, rollups
from central.store import Received, Store
import protocol
from harness.edgeproc import write_central_config

REPO = Path(__file__).resolve().parents[2]
T0 = int(datetime(2026, 11, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)  # 08:00 in Hà Nội
HOUR = 3_600_000
TYPES = ["print.job_completed", "scan.completed", "copy.completed", "help.requested",
         "print.job_failed", "wifi.daily"]


def open_store(path: Path) -> Store:
    store = Store(path)
    rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
    return store


def event(house, seq, ts, type_, data) -> protocol.Event:
    return protocol.Event(house, "boot1", seq, ts, type_, data)


events = st.lists(st.tuples(st.sampled_from(["house-01", "house-02"]),
                            st.sampled_from(TYPES[:5]), st.integers(0, 20),
                            st.integers(0, 40 * 24)), min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events)
def test_report_totals_equal_the_sum_of_stored_events(central_dbs, items):
    store = open_store(central_dbs())
    seqs: dict[str, int] = {}
    batch = []
    for house, type_, pages, hours in items:
        seqs[house] = seqs.get(house, 0) + 1
        batch.append(Received(event(house, seqs[house], T0 + hours * HOUR, type_,
                                    {"pages": pages}), T0))
    store.write_batch(batch)
    store.write_batch([Received(r.message, T0 + 1) for r in batch])  # a replay is not counted
    db = store.reader()
    rows = reports.build(db, "2026-10-25", "2026-12-31", None, False, {})
    printed = [json.loads(b) for (b,) in db.execute(
        "SELECT body FROM messages WHERE type = 'print.job_completed'")]
    expected = (sum(b.get("pages", 0) for b in printed), len(printed))
    assert sum(r["pages_printed"] for r in rows) == expected[0]
    assert sum(r["print_jobs"] for r in rows) == expected[1]
    for column, type_ in (("scans", "scan.completed"), ("copies", "copy.completed"),
                          ("help_requests", "help.requested")):
        (count,) = db.execute("SELECT count(*) FROM messages WHERE type = ?", (type_,)).fetchone()
        assert sum(r[column] for r in rows) == count
    scanned = sum(json.loads(b).get("pages", 0) for (b,) in db.execute(
        "SELECT body FROM messages WHERE type = 'scan.completed'"))
    assert sum(r["scanned_pages"] for r in rows) == scanned
    months = reports.monthly(rows)
    assert sum(m["pages_printed"] for m in months) == expected[0]
    store.close()


def test_a_message_twice_in_one_batch_is_counted_once(central_db):
    store = open_store(central_db)
    e = event("house-01", 1, T0, "print.job_completed", {"pages": 3})
    store.write_batch([Received(e, T0), Received(e, T0)])
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-01", None, False, {})
    assert rows[0]["pages_printed"] == 3


def test_days_follow_local_time_not_utc(central_db):
    store = open_store(central_db)
    late = int(datetime(2026, 11, 1, 18, tzinfo=timezone.utc).timestamp() * 1000)  # 01:00 on 2 Nov
    store.write_batch([Received(event("house-01", 1, late, "scan.completed", {"pages": 1}), late)])
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-02", None, False, {})
    assert [(r["day"], r["scans"]) for r in rows] == [("2026-11-01", 0), ("2026-11-02", 1)]


def test_hours_online_count_minutes_with_telemetry_once(central_db):
    store = open_store(central_db)
    batch = [Received(protocol.Telemetry("house-01", "b", seq, T0 + (seq - 1) * 30_000, {}), T0)
             for seq in range(1, 241)]  # two hours of a sample every 30 s
    store.write_batch(batch)
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-01", None, False, {})
    assert rows[0]["hours_online"] == 2.0


def test_wifi_figures_come_from_the_daily_event_of_that_day(central_db):
    store = open_store(central_db)
    data = {"day": "2026-11-01", "unique_devices": 14, "sessions": 20, "dwell_p50_s": 900}
    store.write_batch([Received(event("house-01", 1, T0 + 20 * HOUR, "wifi.daily", data), T0)])
    row = reports.build(store.reader(), "2026-11-01", "2026-11-01", None, False, {})[0]
    assert (row["wifi_unique_users"], row["wifi_sessions"], row["wifi_median_dwell_s"]) == \
        (14, 20, 900)


def test_help_requests_are_open_until_acknowledged_at_the_house(central_db):
    from central.queries import open_help
    store = open_store(central_db)
    store.write_batch([Received(event("house-01", 1, T0, "help.requested", {}), T0)])
    assert len(open_help(store.reader(), "house-01", T0)) == 1
    store.write_batch([Received(event("house-01", 2, T0 + 1000, "help.acknowledged", {}), T0)])
    assert open_help(store.reader(), "house-01", T0) == []


def cli(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_report_command_writes_csv_and_json(tmp_path, central_db):
    db = central_db
    store = open_store(db)
    store.write_batch([Received(event("house-01", 1, T0, "print.job_completed", {"pages": 6}),
                                T0)])
    store.close()
    config = write_central_config(tmp_path / "central.toml", 1883, db, 8080)
    out = cli("report", "--config", str(config), "--from", "2026-11-01", "--to", "2026-11-02")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].startswith("2026-11-01,house-01,6,1,")
    out = cli("report", "--config", str(config), "--from", "2026-11-01", "--to", "2026-11-30",
              "--format", "json", "--summary", "month")
    assert json.loads(out.stdout)["rows"][0]["pages_printed"] == 6


def test_report_command_refuses_a_reversed_range(tmp_path, central_db):
    db = central_db
    open_store(db).close()
    config = write_central_config(tmp_path / "central.toml", 1883, db, 8080)
    out = cli("report", "--config", str(config), "--from", "2026-11-05", "--to", "2026-11-01")
    assert out.returncode == 2 and "'from' must not be after 'to'" in out.stderr
    assert "Traceback" not in out.stderr


def test_add_user_command_writes_a_loadable_login(tmp_path):
    from central import auth, config as central_config
    path = write_central_config(tmp_path / "central.toml", 1883, tmp_path / "c.sqlite", 8080)
    out = cli("add-user", "--config", str(path), "lan", "--role", "operator", "--password-stdin",
              stdin="mat-khau-dai\n")
    assert out.returncode == 0, out.stderr
    user = central_config.load(path).users["lan"]
    assert user.role == "operator" and auth.verify_password("mat-khau-dai", user.password_hash)


def test_add_user_refuses_a_short_password(tmp_path):
    path = write_central_config(tmp_path / "central.toml", 1883, tmp_path / "c.sqlite", 8080)
    out = cli("add-user", "--config", str(path), "lan", "--password-stdin", stdin="short\n")
    assert out.returncode == 2 and "8 characters" in out.stderr


def test_the_example_config_loads_and_documents_every_dashboard_key():
    import dataclasses
    from central import config as central_config
    example = REPO / "config" / "central.example.toml"
    central_config.load(example)
    text = example.read_text()
    for section in (central_config.StorageConfig, central_config.WebConfig,
                    central_config.AlertsConfig,
                    central_config.ReportsConfig, central_config.UserEntry):
        for f in dataclasses.fields(section):
            assert f"{f.name} =" in text, f.name


def test_events_from_an_unsynchronised_clock_count_on_their_arrival_day(central_db):
    store = open_store(central_db)
    e = protocol.Event("house-01", "boot1", 1, 86_400_000, "print.job_completed", {"pages": 2},
                       tq="none", mono=5_000)
    store.write_batch([Received(e, T0)])
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-01", None, False, {})
    assert rows[0]["pages_printed"] == 2


def test_a_help_request_closed_at_the_house_is_no_longer_open(central_db):
    from central.queries import open_help
    store = open_store(central_db)
    store.write_batch([Received(event("house-01", 1, T0, "help.requested", {"request": 1}), T0)])
    store.write_batch([Received(event("house-01", 2, T0 + 9000, "help.closed",
                                      {"request": 1, "reason": "press"}), T0)])
    assert open_help(store.reader(), "house-01", T0) == []


def test_an_unsynchronised_event_before_its_anchor_in_one_batch_counts_on_its_retimed_day(
        central_db):
    store = open_store(central_db)
    late = T0 + 20 * HOUR  # arrives on 2 Nov (04:00 local), happened on 1 Nov (08:00 local)
    early = protocol.Event("house-01", "boot1", 1, 86_400_000, "print.job_completed",
                           {"pages": 2}, tq="none", mono=5_000)
    anchor = protocol.Telemetry("house-01", "boot1", 2, T0 + HOUR, {}, mono=3_605_000)
    store.write_batch([Received(early, late), Received(anchor, late)])
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-02", None, False, {})
    assert [(r["day"], r["pages_printed"]) for r in rows] == [("2026-11-01", 2),
                                                             ("2026-11-02", 0)]


def test_a_message_replayed_in_a_later_batch_is_counted_once(central_db):
    store = open_store(central_db)
    e = event("house-01", 1, T0, "print.job_completed", {"pages": 3})
    store.write_batch([Received(e, T0)])
    store.write_batch([Received(e, T0 + 5000), Received(e, T0 + 5000)])
    rows = reports.build(store.reader(), "2026-11-01", "2026-11-01", None, False, {})
    assert (rows[0]["print_jobs"], rows[0]["pages_printed"]) == (1, 3)


def test_acknowledging_help_answers_what_was_stored_when_the_operator_clicked(central_db):
    from central.queries import open_help
    store = open_store(central_db)
    store.write_batch([Received(event("house-01", 1, T0, "help.requested", {"request": 4}), T0)])
    store.write_batch([Received(event("house-01", 2, T0, "help.requested", {"request": 5}),
                                T0 + 2000)])
    assert store.ack_help("house-01", "operator", T0 + 1000) == (1, 4)
    assert [h["seq"] for h in open_help(store.reader(), "house-01", T0)] == [2]
    assert store.ack_help("house-01", "operator", T0 + 3000) == (1, 5)
    assert store.ack_help("house-01", "operator", T0 + 4000) == (0, None)
