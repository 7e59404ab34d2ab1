"""`culturehouse-central check` against a real mosquitto, SQLite and a real listening port."""
from __future__ import annotations

import io
import json
import socket

from central import check
from common.clock import ClockReading
from harness.edgeproc import write_central_config
from harness.procs import free_port

SYNCED = lambda: ClockReading(True, False, 1_764_043_200_000)  # noqa: E731


def run_check(path):
    out = io.StringIO()
    code = check.run(path, as_json=True, out=out, environ={}, clock=SYNCED)
    report = json.loads(out.getvalue())
    return code, {c["check"]: c for c in report["checks"]}


def config(tmp_path, broker, **sections):
    return write_central_config(tmp_path / "central.toml", broker.port,
                                tmp_path / "db" / "central.sqlite", free_port(),
                                web={"language": "en"}, **sections)


def test_fresh_central_is_all_ticks(tmp_path, broker):
    (tmp_path / "db").mkdir()
    code, lines = run_check(config(tmp_path, broker))
    assert {k: v["status"] for k, v in lines.items()} == {
        "config": "ok", "broker": "ok", "database": "ok", "web": "ok", "disk": "ok",
        "clock": "ok"}
    assert code == 0


def test_running_central_is_all_ticks_with_its_own_port_in_use(central_app, tmp_path, broker):
    cfg = central_app.cfg
    path = write_central_config(tmp_path / "check.toml", broker.port, cfg.storage.location,
                                central_app.web.port, web={"language": "en"})
    code, lines = run_check(path)
    assert lines["web"]["status"] == "ok" and "answering" in lines["web"]["what"]
    assert lines["database"]["status"] == "ok" and code == 0


def test_broker_down_is_a_cross(tmp_path, broker):
    path = config(tmp_path, broker)
    broker.stop()
    code, lines = run_check(path)
    assert lines["broker"]["status"] == "fail" and "unreachable" in lines["broker"]["what"]
    assert code == 1


def test_port_taken_by_another_program_is_a_cross(tmp_path, broker):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        path = write_central_config(tmp_path / "central.toml", broker.port,
                                    tmp_path / "central.sqlite", other.getsockname()[1],
                                    web={"language": "en"})
        code, lines = run_check(path)
    assert lines["web"]["status"] == "fail" and "another program" in lines["web"]["what"]
    assert code == 1


def test_damaged_database_is_a_cross_pointing_at_the_backup(tmp_path, broker):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "central.sqlite").write_bytes(b"not a database at all" * 100)
    code, lines = run_check(config(tmp_path, broker))
    assert lines["database"]["status"] == "fail" and "backup" in lines["database"]["fix"]
    assert code == 1


def test_database_folder_missing_is_a_cross(tmp_path, broker):
    code, lines = run_check(config(tmp_path, broker))
    assert lines["database"]["status"] == "fail" and code == 1


def test_config_problems_exit_2(tmp_path):
    path = tmp_path / "central.toml"
    path.write_text("[web]\nport = 70000\n")
    code, lines = run_check(path)
    assert code == 2 and any("web.port" in d for d in lines["config"]["details"])
