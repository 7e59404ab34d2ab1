"""The PostgreSQL backend's own parts: the SQL translation, migrations, partitions, retention,
its configuration. (Everything the store does is run on both backends elsewhere.)"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

import protocol
from central import config as central_config
from central import postgres
from central.database import connect, is_unavailable, redact
from central.store import Received, Store
from common.db import SchemaTooNew
from common.settings import ConfigError

DAY = 86_400_000


def ms(*when) -> int:
    return int(datetime(*when, tzinfo=timezone.utc).timestamp() * 1000)


# ----- pure -------------------------------------------------------------------------------

def test_question_marks_become_psycopg_placeholders_outside_quotes_only():
    sql = "SELECT '?', \"a?\" FROM t WHERE a = ? AND b LIKE 'x%' AND c = ?"
    assert postgres.translate(sql, True) == \
        "SELECT '?', \"a?\" FROM t WHERE a = %s AND b LIKE 'x%%' AND c = %s"


def test_sql_without_parameters_is_sent_as_written():
    assert postgres.translate("SELECT 'x%'", False) == "SELECT 'x%'"


def test_sqlites_immediate_transaction_is_a_plain_begin():
    assert postgres.translate("BEGIN IMMEDIATE", False) == "BEGIN"


def test_a_month_partition_spans_the_calendar_month_in_utc():
    start, end, name = postgres.period(ms(2026, 2, 14, 23), "month")
    assert (start, end, name) == (ms(2026, 2, 1), ms(2026, 3, 1), "messages_m202602")
    assert postgres.bounds_of(name) == (start, end)


def test_a_day_partition_spans_one_utc_day():
    start, end, name = postgres.period(ms(2026, 12, 31, 23, 59), "day")
    assert (start, end, name) == (ms(2026, 12, 31), ms(2027, 1, 1), "messages_d20261231")
    assert postgres.bounds_of(name) == (start, end)


def test_the_partitions_wanted_are_the_last_the_current_and_two_ahead():
    names = [name for _, _, name in postgres.wanted(ms(2026, 1, 10), "month")]
    assert names == ["messages_m202512", "messages_m202601", "messages_m202602",
                     "messages_m202603"]


def test_the_default_partition_has_no_bounds():
    assert postgres.bounds_of("messages_default") is None


@pytest.mark.parametrize("url, problem", [
    ("postgresql://central:secret@db/culturehouse", "leave the password out"),
    ("mysql://db/culturehouse", "must start with postgresql://"),
    ("postgresql://db", "name the database"),
    ("postgresql://db:port/x", "not a URL"),
])
def test_a_storage_url_that_cannot_work_is_refused_with_the_reason(tmp_path, url, problem):
    path = tmp_path / "central.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n')
    with pytest.raises(ConfigError, match=problem):
        central_config.load(path)


def test_retention_needs_postgresql_and_at_least_two_partitions(tmp_path):
    path = tmp_path / "central.toml"
    path.write_text('[storage]\nkeep = "30d"\n')
    with pytest.raises(ConfigError, match="retention needs PostgreSQL"):
        central_config.load(path)
    path.write_text('[storage]\nurl = "postgresql://db/c"\nkeep = "30d"\n')
    with pytest.raises(ConfigError, match="at least two partitions"):
        central_config.load(path)


def test_the_database_password_comes_from_the_environment(tmp_path):
    path = tmp_path / "central.toml"
    path.write_text('[storage]\nurl = "postgresql://central@db/culturehouse"\n')
    cfg = central_config.load(path, environ={central_config.DB_PASSWORD_ENV: "s3cret"})
    assert cfg.storage.location == "postgresql://central@db/culturehouse"
    assert cfg.storage.password == "s3cret"


def test_a_location_in_a_log_line_never_shows_a_password():
    assert redact("postgresql://central:s3cret@db/c") == "postgresql://central@db/c"
    assert redact("/var/lib/x.sqlite") == "/var/lib/x.sqlite"


# ----- on a real PostgreSQL ----------------------------------------------------------------

@pytest.fixture
def pg_url(postgres_server):
    url = postgres_server.new_database("p")
    yield url
    postgres_server.drop_database(url)


def tele(seq: int, ts: int) -> protocol.Telemetry:
    return protocol.Telemetry("house-01", "b", seq, ts, {"sys.uptime_s": seq})


def where_stored(db, seq: int) -> str:
    return db.execute("SELECT tableoid::regclass::text FROM messages WHERE seq = ?",
                      (seq,)).fetchone()[0]


def test_a_new_database_is_migrated_to_the_latest_schema_version_once(postgres_server):
    url = postgres_server.new_database("empty")  # without the template: really empty
    postgres_server.admin(f"DROP DATABASE {url.rsplit('/', 1)[1]}")
    postgres_server.admin(f"CREATE DATABASE {url.rsplit('/', 1)[1]} TEMPLATE template0")
    db = connect(url)
    assert postgres.schema_version(db) == len(postgres.MIGRATIONS)
    assert postgres.migrate(db, postgres.MIGRATIONS, url) == 0
    db.close()
    postgres_server.drop_database(url)


def test_a_database_from_a_newer_culturehouse_is_refused_and_left_alone(pg_url):
    db = connect(pg_url)
    db.execute("INSERT INTO schema_version VALUES (?)", (len(postgres.MIGRATIONS) + 1,))
    db.close()
    with pytest.raises(SchemaTooNew, match="newer culturehouse"):
        connect(pg_url)
    with pytest.raises(SchemaTooNew):
        connect(pg_url, readonly=True)


def test_rows_land_in_the_partition_of_their_time_and_odd_times_in_the_default(pg_url):
    now = int(time.time() * 1000)
    store = Store(pg_url)
    store.write_batch([Received(tele(1, now), now), Received(tele(2, 5_000), now)])
    assert where_stored(store.db, 1) == postgres.period(now, "month")[2]
    assert where_stored(store.db, 2) == "messages_default"
    store.close()


def test_a_new_partition_takes_over_the_rows_the_default_held_for_its_time(pg_url):
    now = int(time.time() * 1000)
    later = now + 200 * DAY  # a house whose clock runs far ahead
    store = Store(pg_url)
    store.write_batch([Received(tele(1, later), now)])
    assert where_stored(store.db, 1) == "messages_default"
    made = postgres.ensure_partitions(store.db, later, "month")
    assert postgres.period(later, "month")[2] in made
    assert where_stored(store.db, 1) == postgres.period(later, "month")[2]
    assert store.acked() == {"house-01": 1}
    store.close()


def test_retention_drops_whole_old_partitions_and_keeps_the_recent_ones(pg_url):
    now = int(time.time() * 1000)
    old = now - 120 * DAY
    store = Store(pg_url, partition="month")
    postgres.ensure_partitions(store.db, old, "month")
    store.write_batch([Received(tele(1, old), now), Received(tele(2, 7_000), now),
                       Received(tele(3, now), now)])
    dropped = postgres.drop_before(store.db, now - 62 * DAY)
    assert postgres.period(old, "month")[2] in dropped
    assert [s for (s,) in store.db.execute("SELECT seq FROM messages ORDER BY seq")] == [3]
    assert store.acked() == {"house-01": 3}  # the watermark outlives the rows
    assert store.db.execute("SELECT count(*) FROM rollup_hourly").fetchone()[0] > 0
    store.close()


def test_figures_come_back_as_the_numbers_they_were(pg_url):
    db = connect(pg_url)
    db.execute("INSERT INTO rollup_daily VALUES ('h', 'a', '2026-01-01', ?), "
               "('h', 'b', '2026-01-01', ?), ('h', 'c', '2026-01-01', ?)",
               (7, 2.5, 1 << 59))
    got = dict(db.execute("SELECT metric, value FROM rollup_daily"))
    assert got == {"a": 7, "b": 2.5, "c": 1 << 59}
    assert type(got["a"]) is int and type(got["b"]) is float
    db.close()


def test_a_server_that_went_away_is_reported_as_unavailable_not_as_a_bad_message(pg_url,
                                                                               postgres_server):
    db = connect(pg_url)
    postgres_server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{pg_url.rsplit('/', 1)[1]}'")
    with pytest.raises(Exception) as err:
        db.execute("SELECT 1")
    assert is_unavailable(err.value)
    assert db.execute("SELECT 1").fetchone() == (1,)  # opened again on the next statement
    db.close()


def test_the_check_command_reads_the_postgresql_database_it_is_configured_for(pg_url):
    from central.check import check_postgres
    store = Store(pg_url)
    store.write_batch([Received(tele(1, int(time.time() * 1000)), 1)])
    store.close()
    line = check_postgres(pg_url, "")
    assert line.ok and line.what.key == "check.database.ok" and line.what.params["houses"] == 1


def test_the_check_command_says_what_to_fix_when_postgresql_does_not_answer():
    from central.check import check_postgres
    from harness.procs import free_port
    line = check_postgres(f"postgresql://central@127.0.0.1:{free_port()}/culturehouse", "pw")
    assert line.ok is False and line.fix.key == "check.database.server.fix"
    assert "pw" not in str(line.what.params)


def test_a_reader_whose_connection_was_dropped_reads_again_on_a_new_one(pg_url, postgres_server):
    reader = connect(pg_url, readonly=True)
    postgres_server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{pg_url.rsplit('/', 1)[1]}'")
    assert reader.execute("SELECT count(*) FROM houses").fetchone() == (0,)
    reader.close()
