"""The shipped mosquitto config binds a client's id to its user name.

Run against config/mosquitto/mosquitto.conf itself (paths and ports moved to a temp dir):
a house's credentials can neither knock central or another house off the broker, nor
resume and so read or discard their persistent sessions.
"""
from __future__ import annotations

import time

import pytest

import protocol
from central.broker_admin import add_house
from harness.mosquitto import ShippedBroker
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

T = protocol.Topics()


@pytest.fixture
def shipped(tmp_path):
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    creds = {h: add_house(h, pw, acl, T.root) for h in ("house-01", "house-02", "central")}
    broker = ShippedBroker(tmp_path / "mosq", pw, acl).start()
    clients = []

    def connect(user: str, client_id: str | None = None, clean: bool = True) -> WireClient:
        client = WireClient(broker.port, user, creds[user], client_id=client_id,
                            clean_session=clean)
        clients.append(client)
        wait_for(lambda: client.connected.is_set() or client.refused.is_set(), 10,
                 what=f"{user} connected")
        return client

    yield connect
    for c in clients:
        c.close()
    broker.stop()


def test_a_house_using_centrals_client_id_does_not_kick_central(shipped):
    central = shipped("central", client_id="central")
    for _ in range(3):
        shipped("house-01", client_id="central")
    time.sleep(1)
    assert central.disconnects == 0 and central.client.is_connected()


def test_a_house_using_another_houses_client_id_does_not_kick_it(shipped):
    house = shipped("house-01", client_id="house-01")
    shipped("house-02", client_id="house-01")
    time.sleep(1)
    assert house.disconnects == 0 and house.client.is_connected()


def test_a_house_cannot_resume_centrals_persistent_session(shipped):
    central = shipped("central", client_id="central", clean=False)
    central.subscribe(T.telemetry("+"))
    time.sleep(0.3)
    central.close()  # central away: its session queues what houses send
    sender = shipped("house-02")
    sender.publish(T.telemetry("house-02"), protocol.build_telemetry(
        protocol.Telemetry("house-02", "b", 1, 1, {"a": 1})))
    intruder = shipped("house-01", client_id="central", clean=False)
    time.sleep(1)
    assert intruder.session_present is False and intruder.on("house-02/telemetry") == []
    back = shipped("central", client_id="central", clean=False)
    wait_for(lambda: back.on("house-02/telemetry"), 10, what="central's queued message")
    assert back.session_present is True
