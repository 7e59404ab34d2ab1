"""The end of every chaos test here: the houses stop, central catches up, and it holds every
seq each house wrote exactly once; no process printed a traceback."""
from __future__ import annotations

from pathlib import Path

from harness.procs import wait_for
from harness.readback import acked, covered_seqs, last_seq


def drain_and_check(procs: dict, states: dict[str, Path], central_db: Path) -> None:
    for house in states:
        procs[house].stop()
    wait_for(lambda: all(acked(central_db, h) >= last_seq(s) for h, s in states.items()), 60,
             what="everything the stopped houses held acknowledged")
    for house, state in states.items():
        assert covered_seqs(central_db, house) == list(range(1, last_seq(state) + 1)), house
    for name, proc in procs.items():
        assert "Traceback" not in proc.output(), name
