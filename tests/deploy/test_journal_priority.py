"""Warnings and errors reach journald with their priority, so `journalctl -p warning` shows
them: under systemd (JOURNAL_STREAM names our stderr) each line carries a `<N>` prefix."""
from __future__ import annotations

import io
import logging
import os
import signal

from common.service import JournalFormatter, is_journal
from harness.edgeproc import start_edge
from harness.procs import wait_for


def formatted(level: int, message: str) -> str:
    record = logging.LogRecord("edge.agent", level, __file__, 1, message, None, None)
    return JournalFormatter("%(levelname)s %(name)s: %(message)s").format(record)


def test_each_level_gets_its_syslog_priority():
    assert formatted(logging.WARNING, "x").startswith("<4>WARNING")
    assert formatted(logging.ERROR, "x").startswith("<3>ERROR")
    assert formatted(logging.INFO, "x").startswith("<6>INFO")
    assert formatted(logging.DEBUG, "x").startswith("<7>DEBUG")


def test_every_line_of_a_multi_line_record_keeps_the_priority():
    assert all(line.startswith("<3>") for line in formatted(logging.ERROR, "a\nb").split("\n"))


def test_a_stream_is_the_journal_only_when_journal_stream_names_it(tmp_path):
    with open(tmp_path / "err", "w") as stream:
        st = os.fstat(stream.fileno())
        assert is_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not is_journal(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not is_journal(stream, {})
    assert not is_journal(io.StringIO(), {"JOURNAL_STREAM": "1:2"})


def test_the_agent_under_journald_prefixes_its_warnings(broker, edge_config, tmp_path):
    log = tmp_path / "edge.log"
    log.touch()
    st = os.stat(log)
    env = {**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
    proc = start_edge(edge_config("house-08"), log, env=env)
    try:
        wait_for(lambda: "<6>INFO edge.agent: connected to broker" in proc.output(), 20,
                 what="connected, said at info priority")
        broker.stop()  # the agent warns that it lost the broker
        wait_for(lambda: "<4>WARNING" in proc.output(), 20, what="a warning line")
    finally:
        proc.signal(signal.SIGTERM)
        proc.popen.wait(10)
    lines = [line for line in proc.output().splitlines() if line.strip()]
    assert all(line[:3] in ("<7>", "<6>", "<4>", "<3>", "<2>") for line in lines), lines
