"""A broker that is a cluster: the node a house is connected to dies (SIGKILL) mid-stream; the
house fails over to another node, its backlog arrives, and central (on a third node, MQTT
3.1.1 with a persistent session) holds every seq of every house exactly once."""
from __future__ import annotations

import time

import pytest

from harness.edgeproc import (start_central, start_edge, write_central_config,
                              write_edge_config)
from harness.nats import NatsCluster
from harness.procs import free_port, wait_for
from harness.readback import acked, last_seq
from tests.scale.drain import drain_and_check

pytestmark = pytest.mark.integration

HOUSES = ("house-01", "house-02")


def addresses(ports: list[int]) -> list[str]:
    return [f"127.0.0.1:{p}" for p in ports]


@pytest.mark.timeout(240)
def test_a_house_fails_over_to_another_node_and_nothing_is_lost_or_doubled(tmp_path):
    cluster = NatsCluster(tmp_path / "nats").start()
    first, second, third = cluster.mqtt_ports
    central_db = tmp_path / "central.sqlite"
    central_cfg = write_central_config(
        tmp_path / "central.toml", third, central_db, free_port(),
        mqtt={"brokers": addresses([second]), "protocol": "3.1.1"},
        ingest={"reorder_window": "2s"})
    states = {h: tmp_path / f"state-{h}" for h in HOUSES}
    procs = {}
    try:
        procs["central"] = start_central(central_cfg, tmp_path / "central.log")
        for house in HOUSES:
            cfg = write_edge_config(tmp_path / f"{house}.toml", house, first, states[house],
                                    mqtt={"brokers": addresses([second, third])})
            procs[house] = start_edge(cfg, tmp_path / f"{house}.log")
        wait_for(lambda: all(acked(central_db, h) >= 3 for h in HOUSES), 60,
                 what="both houses acknowledged through the cluster")

        cluster.kill(cluster.nodes[0])  # the node both houses are connected to
        at_kill = {h: last_seq(states[h]) for h in HOUSES}
        wait_for(lambda: all(acked(central_db, h) >= at_kill[h] + 5 for h in HOUSES), 90,
                 interval=0.5, what="rows after the node's death acknowledged")
        for house in HOUSES:
            assert any(f"connected to broker 127.0.0.1:{port}" in procs[house].output()
                       for port in (second, third))

        drain_and_check(procs, states, central_db)
    finally:
        for proc in procs.values():
            proc.stop()
        cluster.stop()
