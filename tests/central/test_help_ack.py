"""HELP has one writer: the dashboard's acknowledgement goes through the collector's thread."""
from __future__ import annotations

import queue
import threading

import pytest

import protocol
from central import config as central_config
from central.collector import Collector
from central.store import Received, Store
from harness.edgeproc import write_central_config
from harness.procs import free_port, wait_for

from .test_web_api import stored

T0 = 1_764_000_000_000


def test_the_dashboards_acknowledgement_is_written_by_the_collector_thread(dashboard, client,
                                                                             houses):
    writers = []
    ack_help = dashboard.store.ack_help

    def recording(*args):
        writers.append(threading.current_thread().name)
        return ack_help(*args)

    dashboard.store.ack_help = recording
    house = houses("house-01")
    house.online()
    house.event("help.requested", {"request": 2})
    client.login("operator")
    stored(client, "house-01", lambda h: h["help"], "help request shown")
    assert client.post("/api/houses/house-01/help_ack").json()["acknowledged"] == 1
    assert writers == [dashboard.collector.writer.name]


@pytest.fixture
def idle_collector(tmp_path, broker, central_db):
    """A collector whose writer thread has not started yet."""
    path = write_central_config(tmp_path / "central.toml", broker.port, central_db, free_port())
    cfg = central_config.load(path)
    store = Store(cfg.storage.location)
    store.write_batch([Received(protocol.Event("house-01", "b", 1, T0, "help.requested",
                                               {"request": 7}), T0)])
    collector = Collector(cfg, store)
    yield collector
    collector.stop()
    store.close()


def test_an_acknowledgement_the_writer_does_not_take_up_in_time_is_refused_and_dropped(
        idle_collector):
    with pytest.raises(TimeoutError):
        idle_collector.ack_help("house-01", "operator", timeout=0.2)
    idle_collector.start()
    # The queue is first in, first out: had the refused one been applied late, this one
    # would find nothing left to acknowledge.
    assert idle_collector.ack_help("house-01", "operator") == (1, 7)


def test_a_busy_writer_gets_the_operator_a_try_again_answer_and_sends_nothing(dashboard, client,
                                                                            houses):
    def busy(house, user):
        raise TimeoutError

    dashboard.web.deps.ack_help = busy
    house = houses("house-01")
    house.online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.post("/api/houses/house-01/help_ack")
    assert reply.status == 503 and "try again" in reply.json()["error"]
    with pytest.raises(queue.Empty):
        house.commands.get(timeout=1)
