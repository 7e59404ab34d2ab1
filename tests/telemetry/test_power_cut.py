"""Power cuts: SIGKILL the outbox's writer at random moments; the outbox must survive intact."""
from __future__ import annotations

import random
import signal
import sqlite3
import sys

import pytest

from harness.procs import Proc, wait_for

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

KILLS = 50


def committed(log) -> list[int]:
    text = log.read_text() if log.exists() else ""
    return [int(line) for line in text.split("\n")[:-1] if line.strip().isdigit()]


def test_fifty_kills_leave_an_intact_outbox_that_never_reuses_a_seq(tmp_path):
    db = tmp_path / "outbox.sqlite"
    rng = random.Random()
    highest = 0
    for run in range(KILLS):
        log = tmp_path / f"run-{run}.log"
        proc = Proc([sys.executable, "-m", "tests.telemetry.outbox_writer", str(db), str(run)],
                    log)
        wait_for(lambda: committed(log), 20, what="the writer's first commit")
        wait_for(lambda: proc.alive() and len(committed(log)) >= rng.randint(1, 60), 20,
                 interval=0.005, what="a random moment")
        proc.signal(signal.SIGKILL)
        proc.stop()
        seen = committed(log)
        assert seen[0] > highest, f"run {run} reused seq {seen[0]} (had {highest})"
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last = con.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]
        assert last >= seen[-1]  # every commit it reported survived
        runs = [r for (r,) in con.execute(
            "SELECT json_extract(body, '$.run') FROM outbox ORDER BY seq")]
        assert runs == sorted(runs)  # a later run never wrote below an earlier one
        con.close()
        highest = last
