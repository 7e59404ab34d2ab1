"""Chaos on real processes: broker down 30 s, an edge SIGKILLed meanwhile, central restarted.

Afterwards central holds every seq of every house exactly once.
"""
from __future__ import annotations

import signal
import time

import pytest

from harness.edgeproc import (start_central, start_edge, write_central_config,
                                    write_edge_config)
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for
from harness.readback import acked, covered_seqs, last_seq, query

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

HOUSES = ("house-01", "house-02")
OUTAGE = 30.0


@pytest.mark.timeout(240)
def test_broker_outage_edge_kill_and_central_restart_lose_and_duplicate_nothing(tmp_path):
    broker = MosquittoBroker(tmp_path / "mosq").start()
    central_db = tmp_path / "central.sqlite"
    central_cfg = write_central_config(tmp_path / "central.toml", broker.port, central_db,
                                       free_port(), ingest={"reorder_window": "2s"})
    procs = {}
    states = {h: tmp_path / f"state-{h}" for h in HOUSES}
    configs = {h: write_edge_config(tmp_path / f"{h}.toml", h, broker.port, states[h])
               for h in HOUSES}

    def edge(house: str):
        procs[house] = start_edge(configs[house], tmp_path / f"{house}.log")

    def caught_up(margin: int = 0) -> bool:
        return all(acked(central_db, h) >= last_seq(states[h]) - margin > 0 for h in HOUSES)

    try:
        procs["central"] = start_central(central_cfg, tmp_path / "central.log")
        for house in HOUSES:
            edge(house)
        wait_for(lambda: all(acked(central_db, h) >= 3 for h in HOUSES), 30,
                 what="both houses acknowledged")

        broker.kill()
        outage_from = time.monotonic()
        wait_for(lambda: time.monotonic() - outage_from > OUTAGE / 3, OUTAGE, interval=0.5)
        procs["house-01"].signal(signal.SIGKILL)  # a power cut while offline
        procs["house-01"].stop()
        edge("house-01")
        wait_for(lambda: time.monotonic() - outage_from > OUTAGE, OUTAGE, interval=0.5)
        broker.start()

        during = {h: last_seq(states[h]) for h in HOUSES}
        wait_for(lambda: all(acked(central_db, h) >= during[h] for h in HOUSES), 60,
                 what="the outage backlog acknowledged")

        procs["central"].stop()
        procs["central"] = start_central(central_cfg, tmp_path / "central-2.log")
        target = {h: last_seq(states[h]) + 3 for h in HOUSES}
        wait_for(lambda: all(acked(central_db, h) >= target[h] for h in HOUSES), 60,
                 what="samples after central's restart acknowledged")

        for house in HOUSES:
            procs[house].stop()
        wait_for(lambda: caught_up(), 30, what="everything the stopped edges held acknowledged")
        for house in HOUSES:
            final = last_seq(states[house])
            assert covered_seqs(central_db, house) == list(range(1, final + 1)), \
                f"{house}: missing or duplicated"
            assert query(states[house] / "outbox.sqlite",
                         "PRAGMA integrity_check") == [("ok",)]
            # What is left waits only for the ack the stopped edge did not live to read.
            left = query(states[house] / "outbox.sqlite", "SELECT max(seq) FROM outbox")[0][0]
            assert left is None or left <= acked(central_db, house)
        for name in procs:
            for log in tmp_path.glob(f"{name}*.log"):
                assert "Traceback" not in log.read_text(), log.name
    finally:
        for proc in procs.values():
            proc.stop()
        broker.stop()
