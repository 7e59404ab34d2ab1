"""The one SQLite opener: PRAGMAs, versioned migrations, and upgrades of unversioned files."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from common.db import SchemaTooNew, open_db, statements, user_version

UNVERSIONED = Path(__file__).parent / "data" / "sqlite_unversioned"
STEPS = ("CREATE TABLE IF NOT EXISTS a (x INTEGER);",
         "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z);")


def columns(db: sqlite3.Connection, table: str) -> list[tuple]:
    return [tuple(r[1:]) for r in db.execute(f"PRAGMA table_info({table})")]


def layout(db: sqlite3.Connection) -> dict:
    """Every table's columns and every index's columns: the schema as queries see it."""
    names = db.execute("SELECT type, name, tbl_name FROM sqlite_master "
                       "WHERE name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return {name: columns(db, name) if kind == "table" else
            (table, [r[2] for r in db.execute(f"PRAGMA index_info({name})")])
            for kind, name, table in names}


def test_each_step_runs_once_and_the_version_counts_them(tmp_path):
    db = open_db(tmp_path / "x.sqlite", STEPS)
    assert user_version(db) == 2
    assert columns(db, "a") == [("x", "INTEGER", 0, None, 0), ("y", "TEXT", 0, None, 0)]
    db.close()
    again = open_db(tmp_path / "x.sqlite", STEPS)  # ALTER TABLE would fail if run twice
    assert user_version(again) == 2


def test_a_new_step_runs_on_a_file_made_by_the_earlier_steps(tmp_path):
    open_db(tmp_path / "x.sqlite", STEPS[:1]).close()
    db = open_db(tmp_path / "x.sqlite", STEPS)
    assert user_version(db) == 2 and "y" in [c[0] for c in columns(db, "a")]


def test_a_failing_step_leaves_nothing_of_itself_behind(tmp_path):
    broken = (STEPS[0], "CREATE TABLE c (q); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        open_db(tmp_path / "x.sqlite", broken)
    db = sqlite3.connect(tmp_path / "x.sqlite")
    assert user_version(db) == 1
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'c'").fetchone() is None


def test_a_file_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "x.sqlite"
    open_db(path, STEPS).close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as err:
        open_db(path, STEPS[:1])
    assert "newer culturehouse (schema version 2; this version knows up to 1)" in str(err.value)
    assert str(path) in str(err.value)
    with pytest.raises(SchemaTooNew):
        open_db(path, STEPS[:1], readonly=True)
    assert path.read_bytes() == before


def test_the_callers_pragmas_are_applied(tmp_path):
    db = open_db(tmp_path / "x.sqlite", STEPS, synchronous="NORMAL", foreign_keys=True,
                 busy_timeout_ms=1234)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    assert open_db(tmp_path / "y.sqlite", ()).execute("PRAGMA synchronous").fetchone()[0] == 2


def test_an_unknown_synchronous_level_is_refused_before_opening(tmp_path):
    with pytest.raises(ValueError, match="synchronous must be one of"):
        open_db(tmp_path / "x.sqlite", STEPS, synchronous="full; DROP TABLE a")
    assert not (tmp_path / "x.sqlite").exists()


def test_a_read_only_connection_cannot_write(tmp_path):
    open_db(tmp_path / "x.sqlite", STEPS).close()
    reader = open_db(tmp_path / "x.sqlite", STEPS, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO a VALUES (1, 'x')")


def test_semicolons_inside_a_trigger_a_string_or_a_comment_do_not_split_a_statement():
    script = ("CREATE TABLE t (v TEXT);\n"
              "-- a comment; with a semicolon\n"
              "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET v = 'a;b'; END;\n")
    db = sqlite3.connect(":memory:")
    for statement in statements(script):
        db.execute(statement)  # one statement each, or sqlite3 refuses it
    db.execute("INSERT INTO t VALUES ('x')")
    assert db.execute("SELECT v FROM t").fetchall() == [("a;b",)]


# ----- the four stores upgrade files written before versioning ----------------------------

def unversioned(tmp_path: Path, name: str, filename: str) -> Path:
    """A file as the code before common/db.py left it (from its SQL dump)."""
    path = tmp_path / filename
    db = sqlite3.connect(path)
    db.executescript((UNVERSIONED / f"{name}.sql").read_text())
    assert user_version(db) == 0
    db.close()
    return path


def newer_file(path: Path) -> Path:
    """A file some future culturehouse wrote (schema version 99)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    return path


def assert_same_layout_as_a_new_file(upgraded: sqlite3.Connection, fresh: sqlite3.Connection):
    assert layout(upgraded) == layout(fresh)
    assert user_version(upgraded) == user_version(fresh) >= 1


def test_an_unversioned_outbox_keeps_its_rows_and_seqs(tmp_path):
    from edge.outbox import Outbox
    box = Outbox(unversioned(tmp_path, "outbox", "outbox.sqlite"))
    assert [(r.seq, r.kind, r.tq, dict(r.body)) for r in box.after(0, 10)] == [
        (1, "telemetry", "none", {"sys.uptime_s": 60}), (2, "event", "ntp", {"pages": 2})]
    assert box.append("telemetry", "b2", 1, {}) == 3
    assert_same_layout_as_a_new_file(box.db, Outbox(tmp_path / "new.sqlite").db)


def test_an_unversioned_wifi_store_keeps_its_sessions_and_devices(tmp_path):
    from edge.wifi.store import WifiStore
    store = WifiStore(unversioned(tmp_path, "wifi", "wifi.sqlite3"))
    assert store.get("day") == "2026-01-01"
    assert [p.seconds for p in store.parts("2026-01-01")] == [300.0]
    assert store.devices_on("2026-01-01") == {"p1": True}
    assert_same_layout_as_a_new_file(store.db, WifiStore(tmp_path / "new.sqlite3").db)


def test_an_unversioned_scan_queue_keeps_its_waiting_jobs(tmp_path):
    from edge.scanning.jobs import JobStore
    store = JobStore(unversioned(tmp_path, "scan-queue", "scan-queue.sqlite3"))
    queued, active = store.load()
    assert [(j.id, j.purpose, j.preset) for j in queued] == [("j1", "scan", "document")]
    assert active == []
    assert_same_layout_as_a_new_file(store.db, JobStore(tmp_path / "new.sqlite3").db)


def test_an_unversioned_central_database_keeps_messages_rollups_and_help(tmp_path):
    import protocol
    from central.store import Received, Store
    store = Store(unversioned(tmp_path, "central", "central.sqlite"))
    db = store.db
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    assert db.execute("SELECT value FROM rollup_daily WHERE metric = 'wifi.clients'"
                      ).fetchone()[0] == 3
    assert store.acked() == {"house-01": 2}
    t = 1_767_225_720_000
    assert store.write_batch([Received(protocol.Telemetry("house-01", "b1", 3, t, {},
                                                          upto=4), t)]) == {"house-01": 4}
    assert store.ack_help("house-01", "operator", t) == (1, 1)
    assert_same_layout_as_a_new_file(db, Store(tmp_path / "new.sqlite").db)


def test_a_central_database_from_before_epochs_keeps_rows_and_watermark_in_the_empty_epoch(
        tmp_path):
    import protocol
    from central.store import Received, Store
    store = Store(unversioned(tmp_path, "central", "central.sqlite"))
    db = store.db
    assert db.execute("SELECT epoch, seq FROM messages ORDER BY seq").fetchall() == [("", 1),
                                                                                   ("", 2)]
    assert store.watermark("house-01", "") == 2 and store.epoch_of("house-01") == ""
    # A house not yet upgraded goes on as before; a new card's epoch starts its own run.
    t = 1_767_225_720_000
    assert store.write_batch([Received(protocol.Telemetry("house-01", "b1", 3, t, {}), t)]) == {
        "house-01": 3}
    new = protocol.Status("house-01", True, "b2", t, "0.2.0", "", 1, "9b1f0c2e")
    assert store.write_batch([Received(new, t), Received(protocol.Telemetry(
        "house-01", "b2", 1, t, {}, epoch="9b1f0c2e"), t)]) == {"house-01": 1}
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 4
    assert db.execute("SELECT epoch, seq FROM help_requests").fetchall() == [("", 1)]


def test_an_outbox_from_before_epochs_keeps_the_empty_epoch_and_a_new_one_gets_its_own(
        tmp_path):
    from edge.outbox import Outbox
    assert Outbox(unversioned(tmp_path, "outbox", "outbox.sqlite")).epoch == ""
    assert len(Outbox(tmp_path / "new.sqlite").epoch) == 32


def test_a_scan_queue_from_a_newer_version_is_kept_and_this_run_queues_in_memory(tmp_path):
    from edge.scanning.jobs import JobStore
    path = newer_file(tmp_path / "scan-queue.sqlite3")
    store = JobStore(path)
    assert store.load() == ([], [])
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99
    assert not path.with_suffix(".corrupt").exists()


def test_a_wifi_store_from_a_newer_version_is_refused_not_moved_aside(tmp_path):
    from edge.wifi.store import WifiStore
    path = newer_file(tmp_path / "wifi.sqlite3")
    with pytest.raises(SchemaTooNew):
        WifiStore(path)
    assert [p.name for p in tmp_path.iterdir()] == ["wifi.sqlite3"]


@pytest.mark.parametrize("daemon", ["edge", "central"])
def test_a_daemon_refuses_to_start_on_a_newer_database_with_a_clear_message(tmp_path, daemon):
    import subprocess
    import sys
    from harness.edgeproc import write_central_config, write_edge_config
    from harness.procs import free_port
    if daemon == "edge":
        newer_file(tmp_path / "state" / "outbox.sqlite")
        config = write_edge_config(tmp_path / "edge.toml", "house-01", free_port(),
                                   tmp_path / "state")
    else:
        newer_file(tmp_path / "central.sqlite")
        config = write_central_config(tmp_path / "central.toml", free_port(),
                                      tmp_path / "central.sqlite", free_port())
    done = subprocess.run([sys.executable, "-m", daemon, "run", "--config", str(config)],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot start:" in done.stderr and "newer culturehouse" in done.stderr
    assert "Traceback" not in done.stderr
