"""The shipped NATS cluster config (config/nats/) keeps each house to its own topics, as the
shipped mosquitto ACL does: a house publishes only as itself, hears only its own commands
and ack, and cannot read the fleet's stream; a wrong password is refused."""
from __future__ import annotations

import os
import time

import pytest

import protocol
from harness.nats import NatsCluster
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient

pytestmark = pytest.mark.integration

T = protocol.Topics()
PASSWORDS = {"CENTRAL_PASSWORD": "central-pass-1", "HOUSE_01_PASSWORD": "house-pass-1"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = NatsCluster(tmp_path_factory.mktemp("nats"), shipped=True,
                        env={**os.environ, **PASSWORDS}).start()
    yield nodes
    nodes.stop()


@pytest.fixture
def central(cluster):
    client = WireClient(cluster.mqtt_ports[2], "central", PASSWORDS["CENTRAL_PASSWORD"])
    yield client
    client.close()


@pytest.fixture
def house(cluster):
    client = WireClient(cluster.mqtt_ports[0], "house-01", PASSWORDS["HOUSE_01_PASSWORD"],
                        client_id="house-01")
    yield client
    client.close()


def test_a_house_publishes_its_own_rows_across_nodes(central, house):
    assert central.subscribe(f"{T.root}/+/telemetry")
    house.publish(T.telemetry("house-01"), b'{"own": 1}')
    wait_for(lambda: central.on("house-01/telemetry"), 15, what="the row at central")


def test_a_house_cannot_publish_as_another_house(central, house):
    assert central.subscribe(f"{T.root}/+/telemetry")
    house.client.publish(T.telemetry("house-02"), b'{"spoofed": 1}', qos=1)
    house.publish(T.telemetry("house-01"), b'{"marker": 1}')  # after the spoof, in order
    wait_for(lambda: central.on("house-01/telemetry"), 15, what="the marker at central")
    time.sleep(0.5)
    assert central.on("house-02/telemetry") == []


def test_a_house_hears_its_commands_but_cannot_read_the_fleet(central, house):
    assert house.subscribe(f"{T.root}/house-01/cmd/+")
    assert not house.subscribe(f"{T.root}/+/telemetry")
    assert not house.subscribe(f"{T.root}/house-02/cmd/+")
    central.publish(T.cmd("house-01", "ping"), b'{"v":1}')
    wait_for(lambda: house.on("house-01/cmd/ping"), 15, what="the command at the house")


def test_a_wrong_password_is_refused(cluster):
    client = WireClient(cluster.mqtt_ports[1], "house-01", "not-the-password")
    try:
        wait_for(client.refused.is_set, 15, what="the refusal")
        assert not client.connected.is_set()
    finally:
        client.close()
