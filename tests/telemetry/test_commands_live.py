"""Commands over a real broker into a running agent: press, dedupe, resend, ping."""
from __future__ import annotations

import time

import pytest

from edge import config as edge_settings
import protocol
from edge.agent import Agent
from edge.feature import Feature
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient

T = protocol.Topics()
PRINT_PIN = 17


class PrintDesk(Feature):
    name = "printing"

    def __init__(self):
        self.presses = []

    def on_button(self, press, now):
        if press.button == "print":
            self.presses.append(press)
            return True
        return None


@pytest.fixture
def agent(edge_config, run_in_thread, mock_pins):
    make_config = edge_config
    cfg = make_config(panel={"print_button": PRINT_PIN})
    a = Agent(_load(cfg), pin_factory=mock_pins)
    a.desk = PrintDesk()
    a.features.append(a.desk)
    run_in_thread(a)
    wait_for(lambda: a.link.connected, 15, what="agent connected")
    return a


def _load(path):
    return edge_settings.load(path)


@pytest.fixture
def central(broker, agent):
    client = WireClient(broker.port)
    client.subscribe(T.cmd_result("house-01"))
    yield client
    client.close()


def send(client: WireClient, name: str, req_id: str, **args) -> None:
    client.publish(T.cmd("house-01", name), protocol.build_command(protocol.Command(
        name, req_id, int((time.time() + 60) * 1000), args)))


def results(client: WireClient) -> list[protocol.CommandResult]:
    return [protocol.parse_cmd_result(p) for p in client.on("/cmd_result")]


def test_a_remote_press_takes_the_same_path_as_the_physical_button(agent, central, mock_pins):
    pin = mock_pins.pin(PRINT_PIN)
    pin.drive_low()
    time.sleep(0.1)  # held for a tenth of a second, as a finger would
    pin.drive_high()
    wait_for(lambda: agent.desk.presses, 10, what="the physical press")
    send(central, "press", "p1", button="print")
    wait_for(lambda: len(agent.desk.presses) == 2, 10, what="the remote press")
    assert [p.source for p in agent.desk.presses] == ["panel", "command"]
    assert {p.button for p in agent.desk.presses} == {"print"}
    answered = wait_for(lambda: results(central), 10, what="the command's result")
    assert answered[0].ok


def test_a_command_sent_twice_is_answered_twice_but_pressed_once(agent, central):
    send(central, "press", "same", button="print")
    send(central, "press", "same", button="print")
    wait_for(lambda: len(results(central)) == 2, 10, what="two answers")
    assert len(agent.desk.presses) == 1


def test_resend_queues_the_rows_still_in_the_outbox(agent, central):
    wait_for(lambda: agent.outbox.last_seq() >= 2, 10, what="two samples")
    send(central, "resend", "r1", **{"from": 1, "to": 2})
    result = wait_for(lambda: results(central), 10, what="the resend answer")[0]
    assert result.ok and result.detail["oldest"] >= 1


def test_ping_answers_with_the_outbox_state(agent, central):
    send(central, "ping", "ping-1")
    result = wait_for(lambda: results(central), 10, what="the ping answer")[0]
    assert result.ok and result.detail["boot"] == agent.boot
    assert result.detail["last_seq"] >= 1
