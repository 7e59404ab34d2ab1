"""Collectors that scale out: two collector processes split the houses' rows through an MQTT 5
shared subscription, each with its own persistent session; one is SIGKILLed mid-stream and
restarted, and central's database ends with every seq of every house exactly once."""
from __future__ import annotations

import json
import signal
import time
import urllib.request

import pytest

from harness.edgeproc import (start_central, start_edge, write_central_config,
                              write_edge_config)
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port, wait_for
from harness.readback import acked, last_seq
from tests.scale.drain import drain_and_check

pytestmark = pytest.mark.integration

HOUSES = ("house-01", "house-02", "house-03")


def stored_total(web_port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=5) as reply:
        return json.load(reply)["stored_total"]


@pytest.mark.timeout(240)
def test_two_collectors_share_the_stream_and_a_killed_one_loses_nothing(tmp_path):
    broker = MosquittoBroker(tmp_path / "mosq").start()
    central_db = tmp_path / "central.sqlite"
    collectors = {}
    for name in ("central-a", "central-b"):
        port = free_port()
        collectors[name] = (port, write_central_config(
            tmp_path / f"{name}.toml", broker.port, central_db, port,
            mqtt={"username": name}, ingest={"share_group": "collectors",
                                             "reorder_window": "2s"}))
    states = {h: tmp_path / f"state-{h}" for h in HOUSES}
    procs = {}
    try:
        for name, (_, cfg) in collectors.items():
            procs[name] = start_central(cfg, tmp_path / f"{name}.log")
        for house in HOUSES:
            cfg = write_edge_config(tmp_path / f"{house}.toml", house, broker.port,
                                    states[house])
            procs[house] = start_edge(cfg, tmp_path / f"{house}.log")
        wait_for(lambda: all(acked(central_db, h) >= 5 for h in HOUSES), 60,
                 what="every house acknowledged")
        # Both collectors take part (the broker splits the shared subscription).
        wait_for(lambda: all(stored_total(port) > 0 for port, _ in collectors.values()), 30,
                 what="both collectors storing")

        procs["central-a"].signal(signal.SIGKILL)
        procs["central-a"].stop()
        killed_at = time.monotonic()
        wait_for(lambda: time.monotonic() - killed_at > 3, 10, interval=0.2)
        procs["central-a"] = start_central(collectors["central-a"][1],
                                           tmp_path / "central-a-2.log")
        at_restart = {h: last_seq(states[h]) for h in HOUSES}
        wait_for(lambda: all(acked(central_db, h) >= at_restart[h] + 5 for h in HOUSES), 60,
                 interval=0.5, what="rows after the restart acknowledged")

        drain_and_check(procs, states, central_db)
    finally:
        for proc in procs.values():
            proc.stop()
        broker.stop()
