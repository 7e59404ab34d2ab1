"""A real edge agent, real mosquitto and the collector in-process: a new SD card after the
old one's high watermark, and an outbox rolled up during a long outage."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from central import reports
from central.database import connect
from central.store import Received, Store
from edge import config as edge_config_module
from edge.agent import Agent
from edge.outbox import Outbox
from harness.procs import wait_for
from tests.telemetry.helpers import query, start_collector
from tests.telemetry.outage import outage, record, rolled_up, wire

START = int(datetime(2025, 3, 1, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture
def collector(tmp_path, broker, central_db):
    c = start_collector(tmp_path, broker.port, central_db, reorder_window="1s",
                        max_backlog_rate=1.0)
    yield c
    c.stop()
    c.store.close()


class Running:
    """An agent on its own thread, stopped (and joined) when the test says so or ends."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.thread = threading.Thread(target=agent.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.agent.request_stop("test")
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def agents():
    started: list[Running] = []

    def start(config_path) -> Agent:
        started.append(Running(Agent(edge_config_module.load(config_path))))
        return started[-1].agent

    start.started = started
    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()


def prefill(path, n: int, boot: str) -> None:
    box = Outbox(path)
    for i in range(n):
        box.append("telemetry", boot, 1_764_000_000_000 + i * 60_000, {"sys.uptime_s": i})
    box.close()


def test_a_new_card_with_more_rows_than_the_old_watermark_loses_none_of_them(
        tmp_path, broker, collector, edge_config, agents):
    config = edge_config()
    state = tmp_path / "state-house-01"
    prefill(state / "outbox.sqlite", 150, "old-card")  # three backlog batches
    old = agents(config)
    wait_for(lambda: collector.store.acked().get("house-01", 0) >= 150, 30,
             what="the old card's rows acknowledged")
    agents.started[0].stop()
    old_epoch, watermark = old.outbox.epoch, collector.store.acked()["house-01"]
    for leftover in state.glob("outbox.sqlite*"):
        leftover.unlink()  # a new SD card: a fresh outbox, its seqs start at 1 again
    prefill(state / "outbox.sqlite", watermark + 60, "new-card")
    new = agents(config)
    assert new.outbox.epoch not in (old_epoch, "")
    wait_for(lambda: collector.store.epoch_of("house-01") == new.outbox.epoch
             and collector.store.acked().get("house-01", 0) >= watermark + 60, 40,
             what="central acknowledged the new card's rows")
    db = collector.store.path
    got = query(db, "SELECT seq, json_extract(body, '$.\"sys.uptime_s\"') FROM messages "
                    "WHERE house = 'house-01' AND epoch = ? AND boot = 'new-card' ORDER BY seq",
                new.outbox.epoch)
    assert got == [(i + 1, i) for i in range(watermark + 60)]  # every row, once
    assert query(db, "SELECT count(*) FROM messages WHERE epoch = ? AND boot = 'old-card'",
                 old_epoch) == [(150,)]
    wait_for(lambda: new.outbox.oldest() > watermark + 60, 10,
             what="the new card freed its rows on its own ack")


def test_an_outbox_rolled_up_in_a_long_outage_gives_central_the_raw_rows_figures(
        tmp_path, broker, collector, edge_config, agents, central_dbs):
    raw_box = record(tmp_path / "raw.sqlite", outage(2), start=START)
    baseline = Store(central_dbs("baseline"))  # what central makes of the raw rows
    rows = wire(raw_box)
    for i in range(0, len(rows), 500):
        baseline.write_batch([Received(m, START) for m in rows[i:i + 500]])
    state = tmp_path / "state-house-01"
    state.mkdir()
    rolled = rolled_up(raw_box, state / "outbox.sqlite", 60_000)
    assert rolled.count() < raw_box.count() // 20
    rolled.close()
    agents(edge_config())
    wait_for(lambda: collector.store.acked().get("house-01", 0) >= raw_box.last_seq(), 40,
             what="the rolled-up backlog acknowledged")
    db, days, hours = collector.store.path, ("2025-02-28", "2025-03-04"), (
        START // 3_600_000 - 24, START // 3_600_000 + 96)
    daily = "SELECT house, metric, day, value FROM rollup_daily WHERE day BETWEEN ? AND ? " \
            "ORDER BY 1, 2, 3"
    hourly = "SELECT house, metric, hour, value FROM rollup_hourly WHERE hour BETWEEN ? AND ? " \
             "ORDER BY 1, 2, 3"
    assert query(db, daily, *days) == baseline.db.execute(daily, days).fetchall() != []
    assert query(db, hourly, *hours) == baseline.db.execute(hourly, hours).fetchall()
    con = connect(db, readonly=True)
    assert reports.build(con, *days, "house-01", False, {}) == reports.build(
        baseline.reader(), *days, "house-01", False, {})
    con.close()
    baseline.close()
