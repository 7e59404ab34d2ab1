"""Over the shipped broker's TLS listener, telemetry published from the main thread while
commands stream in never breaks the connection: one thread owns the TLS socket."""
from __future__ import annotations

import queue
import threading
import uuid

import pytest

import protocol
from central.broker_admin import add_house
from common.mqtt_link import Inbound, LinkDown, LinkUp, MqttLink, build_client
from harness.mosquitto import ShippedBroker
from harness.procs import wait_for

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

T = protocol.Topics()
SAMPLES, COMMANDS = 3000, 600


def tls_link(broker: ShippedBroker, user: str, password: str, subs: list[str]):
    items: queue.Queue = queue.Queue()
    client = build_client(user, user, password, tls=True, ca_file=str(broker.certs["ca.crt"]))
    link = MqttLink(client, "127.0.0.1", broker.tls_port, 30, lambda: subs, items.put,
                    reconnect_min=0.2, reconnect_max=1, first_delay_max=0)
    link.start()
    wait_for(lambda: link.connected and any(isinstance(i, LinkUp) for i in drain(items)), 15,
             what=f"{user} connected over TLS")
    return link, items


def drain(items: queue.Queue) -> list:
    out = []
    while True:
        try:
            out.append(items.get_nowait())
        except queue.Empty:
            return out


def test_publishing_while_commands_stream_in_never_drops_the_tls_connection(tmp_path):
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    creds = {h: add_house(h, pw, acl, T.root) for h in ("house-01", "central")}
    broker = ShippedBroker(tmp_path / "mosq", pw, acl).start()
    house, house_items = tls_link(broker, "house-01", creds["house-01"],
                                  [T.cmd("house-01", "+")])
    central, central_items = tls_link(broker, "central", creds["central"],
                                      [T.telemetry("+")])
    try:
        def send_commands():
            for _ in range(COMMANDS):
                payload = protocol.build_command(protocol.Command("ping", uuid.uuid4().hex, 0))
                while central.publish(T.cmd("house-01", "ping"), payload) is None:
                    pass  # paho's queue is full for a moment: try again
        commander = threading.Thread(target=send_commands)
        commander.start()
        for seq in range(1, SAMPLES + 1):  # the house's main thread, as the agent's
            payload = protocol.build_telemetry(protocol.Telemetry(
                "house-01", "b" * 32, seq, 1_764_043_200_000, {"sys.uptime_s": seq}))
            while house.publish(T.telemetry("house-01"), payload) is None:
                assert house.connected, "the house lost its TLS connection"
        commander.join(60)
        received: list = []
        commands: list = []

        def arrived() -> bool:
            received.extend(i for i in drain(central_items) if isinstance(i, Inbound))
            commands.extend(drain(house_items))
            return (len(received) >= SAMPLES and
                    sum(isinstance(i, Inbound) for i in commands) >= COMMANDS)
        wait_for(arrived, 60, what="every sample at central and every command at the house")
        downs = [i for i in commands if isinstance(i, LinkDown)]
        ups = [i for i in commands if isinstance(i, LinkUp)]
        assert downs == [] and ups == []  # never dropped, never reconnected
    finally:
        house.stop()
        central.stop()
        broker.stop()
