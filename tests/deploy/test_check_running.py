"""`check` beside a running daemon reports the daemon's own broker connection instead of
logging in with its user name, which would take over its session (client id = user name)
and make the broker publish its will."""
from __future__ import annotations

import io
import json
import time

import pytest

import protocol
from central import check as central_check
from edge import check as edge_check
from edge.liveness import AgentLock, AlreadyRunning, agent_running, read_link_state
from harness.edgeproc import write_central_config
from harness.procs import wait_for
from tests.deploy.test_check_edge import SYNCED
from tests.telemetry.helpers import WireClient

T = protocol.Topics()


def report(module, path) -> dict:
    out = io.StringIO()
    module.run(path, as_json=True, out=out, environ={}, clock=SYNCED)
    return {c["check"]: c for c in json.loads(out.getvalue())["checks"]}


def test_a_second_agent_on_the_same_state_directory_is_refused(tmp_path):
    lock = AgentLock(tmp_path)
    assert agent_running(tmp_path)
    with pytest.raises(AlreadyRunning):
        AgentLock(tmp_path)
    lock.release()
    assert not agent_running(tmp_path)


def test_edge_check_beside_the_running_agent_leaves_its_session_alone(broker, edge_config,
                                                                     edge_process, tmp_path):
    path = edge_config("house-07")
    path.write_text(path.read_text().replace('id = "house-07"', 'id = "house-07"\nlanguage = "en"'))
    watcher = WireClient(broker.port)
    watcher.subscribe(T.status("house-07"))
    edge_process(path)
    state_dir = tmp_path / "state-house-07"
    wait_for(lambda: (read_link_state(state_dir) or {}).get("connected"), 20,
             what="the agent connected")
    lines = report(edge_check, path)
    time.sleep(1)
    statuses = [json.loads(p) for p in watcher.on("house-07/status")]
    watcher.close()
    assert lines["broker"]["status"] == "ok" and "running agent" in lines["broker"]["what"]
    assert [s.get("reason") for s in statuses if not s["online"]] == []  # no will, no "lost"


def test_central_check_beside_the_running_central_leaves_its_session_alone(
        central_app, tmp_path, broker):
    path = write_central_config(tmp_path / "check.toml", broker.port,
                                central_app.cfg.storage.location, central_app.web.port,
                                web={"language": "en"})
    generation = central_app.collector.link.generation
    lines = report(central_check, path)
    time.sleep(1)
    assert lines["broker"]["status"] == "ok" and "running central" in lines["broker"]["what"]
    assert central_app.collector.link.generation == generation  # never reconnected
