"""Edge agent, real mosquitto and the collector together: acks, backlog, gaps."""
from __future__ import annotations


import pytest

from edge import config as edge_config
import protocol
from edge.agent import Agent
from edge.outbox import Outbox
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient, start_collector, stored_seqs

ROOT = protocol.Topics()


@pytest.fixture
def collector(tmp_path, broker, central_db):
    c = start_collector(tmp_path, broker.port, central_db, reorder_window="1s",
                        max_backlog_rate=1.0)
    yield c
    c.stop()
    c.store.close()


def prefill(state_dir, n: int) -> None:
    box = Outbox(state_dir / "outbox.sqlite")
    for i in range(n):
        box.append("telemetry", "old-boot", 1_764_000_000_000 + i * 60_000,
                   {"print.pages.total": i, "sys.load1": 0.2})
    box.close()


def test_every_row_is_stored_once_and_leaves_the_outbox_only_after_the_ack(
        tmp_path, broker, collector, edge_config, run_in_thread):
    prefill(tmp_path / "state-house-01", 130)
    agent = run_in_thread(Agent(edge_config_load(edge_config)))
    wait_for(lambda: agent.outbox.last_seq() >= 133, 20, what="a few live samples")
    wait_for(lambda: collector.store.acked().get("house-01", 0) >= 133, 30,
             what="central acknowledged the backlog and live samples")
    seqs = stored_seqs(collector.store.path, "house-01")
    assert seqs[:133] == list(range(1, 134))
    wait_for(lambda: agent.outbox.oldest() > 133, 10, what="the acked rows freed")


def edge_config_load(make):
    return edge_config.load(make())


def test_after_an_outage_live_samples_go_before_the_paced_compressed_backlog(
        tmp_path, broker, collector, edge_config, run_in_thread):
    prefill(tmp_path / "state-house-01", 300)  # five batches at central's 1 message/s
    wire = WireClient(broker.port)
    wire.subscribe(f"{ROOT.root}/house-01/#")
    agent = run_in_thread(Agent(edge_config_load(edge_config)))
    wait_for(lambda: collector.store.acked().get("house-01", 0) >= 300, 40,
             what="the whole backlog stored")
    order = [(t.rsplit("/", 1)[1], p) for t, p in wire.seen
             if t.endswith(("/history", "/telemetry"))]
    batches = [protocol.parse_history(p, "house-01") for k, p in order if k == "history"]
    assert all(len(b) <= 60 for b in batches)
    first_live = next(i for i, (k, p) in enumerate(order)
                      if k == "telemetry" and protocol.parse_telemetry(p).seq > 300)
    last_batch = max(i for i, (k, _) in enumerate(order) if k == "history")
    assert first_live < last_batch  # live first: the backlog did not hold it back
    wire.close()
    agent.request_stop()


def test_a_gap_outliving_the_reorder_window_makes_central_ask_for_a_resend(
        tmp_path, broker, collector):
    house = WireClient(broker.port)
    house.subscribe(f"{ROOT.root}/house-07/cmd/+")
    for seq in (1, 2, 6):
        house.publish(ROOT.telemetry("house-07"), protocol.build_telemetry(protocol.Telemetry(
            "house-07", "b", seq, 1_764_000_000_000, {"a": seq})))
    asked = wait_for(lambda: house.on("/cmd/resend"), 15, what="a resend command")
    cmd = protocol.parse_command("resend", asked[0])
    assert dict(cmd.args) == {"from": 3, "to": 5}
    assert collector.store.acked()["house-07"] == 2
    house.close()
