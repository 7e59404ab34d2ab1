"""Chaos on central's PostgreSQL: the server crashes and restarts while houses stream.

Real processes: mosquitto, central (collector) on a private PostgreSQL, two edge agents
replaying a backlog on top of live samples. The server is killed (immediate shutdown, as
a crash looks to clients) and later restarted cleanly, each time mid-stream. Afterwards
central holds every seq of every house exactly once, the collector never died, and its
log says what happened in a few lines, without a traceback.
"""
from __future__ import annotations

import shutil
import signal
import time

import pytest

from central.database import ERRORS, connect
from edge.outbox import Outbox
from harness.edgeproc import start_central, start_edge, write_central_config, write_edge_config
from harness.mosquitto import MosquittoBroker
from harness.postgres import PostgresServer
from harness.procs import free_port, wait_for

pytestmark = pytest.mark.integration  # starts real processes itself

HOUSES = ("house-01", "house-02")
BACKLOG = 1500  # rows each outbox holds before its agent starts


def query(url: str, sql: str, *args) -> list:
    con = connect(url, readonly=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def acked(url: str) -> dict[str, int]:
    try:
        return dict(query(url, "SELECT house, acked_seq FROM houses"))
    except ERRORS:  # down, starting, or recovering: nothing to say yet
        return {}


def last_seq(state) -> int:
    box = Outbox(state / "outbox.sqlite")
    try:
        return box.last_seq()
    finally:
        box.close()


def prefill(state, now_ms: int) -> None:
    box = Outbox(state / "outbox.sqlite")
    for i in range(BACKLOG):
        box.append("telemetry", "before", now_ms - (BACKLOG - i) * 60_000,
                   {"sys.uptime_s": i, "wifi.clients": i % 7})
    box.commit()
    box.close()


@pytest.mark.timeout(240)
def test_postgresql_restarted_mid_stream_loses_and_duplicates_nothing(tmp_path):
    pg = PostgresServer().start()
    pg.admin("CREATE DATABASE central")
    url = pg.url("central")
    broker = MosquittoBroker(tmp_path / "mosq").start()
    config = write_central_config(tmp_path / "central.toml", broker.port, url, free_port(),
                                  ingest={"reorder_window": "2s", "max_backlog_rate": 100.0,
                                          "batch_size": 200})
    states = {h: tmp_path / f"state-{h}" for h in HOUSES}
    procs = {}
    try:
        now = int(time.time() * 1000)
        for house in HOUSES:
            states[house].mkdir()
            prefill(states[house], now)
        procs["central"] = start_central(config, tmp_path / "central.log")
        for house in HOUSES:
            cfg = write_edge_config(tmp_path / f"{house}.toml", house, broker.port, states[house])
            procs[house] = start_edge(cfg, tmp_path / f"{house}.log")
        wait_for(lambda: all(acked(url).get(h, 0) >= 200 for h in HOUSES), 60,
                 what="both backlogs streaming into PostgreSQL")

        pg.stop(signal.SIGQUIT)  # immediate shutdown: the server dies mid-transaction
        time.sleep(3.0)  # long enough for central to call ingest stalled
        assert procs["central"].alive()
        pg.start()
        middle = {h: acked(url).get(h, 0) for h in HOUSES}
        wait_for(lambda: all(acked(url).get(h, 0) >= middle[h] + 300 for h in HOUSES), 60,
                 what="the stream going on after the crash")

        pg.restart(signal.SIGINT, down_for=1.0)  # a clean restart (an upgrade, a failover)
        wait_for(lambda: all(acked(url).get(h, 0) >= BACKLOG + 3 for h in HOUSES), 90,
                 what="backlogs and live samples after the restart acknowledged")

        for house in HOUSES:
            procs[house].stop()
        final = {h: last_seq(states[h]) for h in HOUSES}
        wait_for(lambda: all(acked(url).get(h, 0) >= final[h] for h in HOUSES), 30,
                 what="everything the stopped edges held acknowledged")
        for house in HOUSES:
            rows = query(url, "SELECT seq, upto FROM messages WHERE house = ? ORDER BY seq",
                         house)
            covered = [s for seq, upto in rows for s in range(seq, (upto or seq) + 1)]
            missing = set(range(1, final[house] + 1)) - set(covered)
            duplicated = len(covered) - len(set(covered))
            assert (len(missing), duplicated) == (0, 0), house
            assert covered == list(range(1, final[house] + 1))

        assert procs["central"].alive()
        log = procs["central"].output()
        assert "Traceback" not in log
        assert log.count("ingest stalled") >= 1 and log.count("ingest resumed") >= 1
        assert len(log.splitlines()) < 60, log  # state transitions, not a line per attempt
    finally:
        for proc in procs.values():
            proc.stop()
        broker.stop()
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)
