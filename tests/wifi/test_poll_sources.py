"""The polling sources (iw, dnsmasq, openwrt) through their real IO, and the registry."""
from __future__ import annotations

import json
import logging
import os
import queue
import stat

import pytest

from common.checks import CheckLine
from edge.wifi.config import (DnsmasqConfig, HostapdConfig, IwConfig, OpenWrtConfig,
                              SOURCE_NAMES, WifiConfig)
from edge.wifi.dnsmasq import DnsmasqLeases
from edge.wifi.iw import IwStationDump
from edge.wifi.observations import Snapshot, SourceError, SourceHealth
from edge.wifi.openwrt import UbusClients
from edge.wifi.sources import SOURCES, PollingSource, build_sources
from harness.procs import free_port, wait_for
from tests.wifi.conftest import DATA, data
from tests.wifi.fakeubus import FakeUbus

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

PHONE = "6a:3f:91:0c:7d:12"


def fake_iw(dir_, dump: str, code: int = 0):
    """An `iw` stand-in printing a recorded station dump (there is no radio here)."""
    script = dir_ / "iw"
    script.write_text(f"#!/bin/sh\ncat '{DATA / dump}'\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def items_of(q: queue.Queue, kind):
    out = []
    while not q.empty():
        item = q.get_nowait()
        if isinstance(item, kind):
            out.append(item)
    return out


def test_the_registry_offers_every_source_the_config_accepts():
    assert tuple(SOURCES) == SOURCE_NAMES


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_every_registered_source_starts_reports_health_and_stops_cleanly(name, short_dir):
    # Each source is pointed at something absent: it must report "down", not raise.
    cfg = WifiConfig(enabled=True, sources=(name,), retry_max=1,
                     hostapd=HostapdConfig(ctrl_dir=str(short_dir),
                                           client_dir=str(short_dir / "run")),
                     iw=IwConfig(command=str(short_dir / "no-iw")),
                     dnsmasq=DnsmasqConfig(lease_file=str(short_dir / "none.leases")),
                     openwrt=OpenWrtConfig(url=f"http://127.0.0.1:{free_port()}/ubus",
                                           timeout=1))
    q: queue.Queue = queue.Queue()
    (source,) = build_sources(cfg, q.put, env={})
    source.start()
    try:
        health = wait_for(lambda: q.get(timeout=5), 10, what="health")
    finally:
        source.stop()
    assert isinstance(health, SourceHealth) and health.ok is False and health.detail
    assert source.names and all(isinstance(line, CheckLine) for line in source.check())


def test_iw_source_posts_the_stations_of_a_recorded_dump(short_dir):
    fetcher = IwStationDump(IwConfig(command=fake_iw(short_dir, "iw_station_dump_6.17.txt")))
    assert [s.mac for s in fetcher.fetch()] == [PHONE, "f2:18:98:4c:aa:01"]


def test_iw_absent_is_a_source_error_that_says_so(short_dir):
    with pytest.raises(SourceError, match="not found"):
        IwStationDump(IwConfig(command=str(short_dir / "iw"))).fetch()


def test_iw_failing_is_a_source_error_with_its_exit_code(short_dir):
    command = fake_iw(short_dir, "iw_station_dump_6.17.txt", code=237)
    with pytest.raises(SourceError, match="code 237"):
        IwStationDump(IwConfig(command=command)).fetch()


def test_a_failing_source_is_logged_once_and_recovers_when_fixed(short_dir, caplog):
    caplog.set_level(logging.INFO, logger="edge.wifi")
    lease_file = short_dir / "dnsmasq.leases"
    fetcher = DnsmasqLeases(DnsmasqConfig(lease_file=str(lease_file)), lambda: 1718001000)
    calls = []
    real_fetch = fetcher.fetch
    fetcher.fetch = lambda: (calls.append(1), real_fetch())[1]
    q: queue.Queue = queue.Queue()
    source = PollingSource("dnsmasq", fetcher, interval=0.05, retry_max=0.05, post=q.put)
    source.start()
    try:
        wait_for(lambda: len(calls) >= 5, 10, what="several failed polls")
        lease_file.write_text(data("dnsmasq.leases"))
        wait_for(lambda: source.ok, 10, what="recovery")
    finally:
        source.stop()
    health = items_of(q, SourceHealth)
    assert [h.ok for h in health] == [False, True]
    assert "missing" in health[0].detail
    downs = [r for r in caplog.records if "down" in r.getMessage()]
    assert len(downs) == 1


def test_an_unreadable_lease_file_is_a_source_error(short_dir):
    lease_file = short_dir / "dnsmasq.leases"
    lease_file.write_text(data("dnsmasq.leases"))
    lease_file.chmod(0)
    fetcher = DnsmasqLeases(DnsmasqConfig(lease_file=str(lease_file)), lambda: 1718001000)
    if os.access(lease_file, os.R_OK):  # root reads anything: use a directory instead
        lease_file.chmod(0o600)
        lease_file.unlink()
        lease_file.mkdir()
    with pytest.raises(SourceError, match="cannot read"):
        fetcher.fetch()


@pytest.fixture
def ubus():
    fake = FakeUbus("culturehouse", "s3cret", json.loads(data("ubus_get_clients.json"))).start()
    yield fake
    fake.stop()


def test_openwrt_source_logs_in_lists_hostapd_objects_and_reads_clients(ubus):
    clients = UbusClients(OpenWrtConfig(url=ubus.url, timeout=5), "s3cret")
    assert [s.mac for s in clients.fetch()] == [PHONE, "f2:18:98:4c:aa:01"]
    assert ubus.logins == 1 and clients.rejected == 1


def test_openwrt_source_logs_in_again_when_the_session_expires(ubus):
    clients = UbusClients(OpenWrtConfig(url=ubus.url, timeout=5), "s3cret")
    clients.fetch()
    ubus.expire_sessions()
    assert len(clients.fetch()) == 2
    assert ubus.logins == 2


def test_openwrt_wrong_password_is_a_source_error_naming_the_user(ubus):
    clients = UbusClients(OpenWrtConfig(url=ubus.url, timeout=5), "wrong")
    with pytest.raises(SourceError, match="login refused for rpcd user 'culturehouse'"):
        clients.fetch()


def test_openwrt_password_comes_from_the_environment(ubus):
    cfg = WifiConfig(enabled=True, sources=("openwrt",), snapshot_interval=1,
                     openwrt=OpenWrtConfig(url=ubus.url, timeout=5))
    q: queue.Queue = queue.Queue()
    (source,) = build_sources(cfg, q.put, env={"CULTUREHOUSE_OPENWRT_PASSWORD": "s3cret"})
    source.start()
    try:
        snap = wait_for(lambda: [i for i in [q.get(timeout=5)] if isinstance(i, Snapshot)], 10,
                        what="snapshot")[0]
    finally:
        source.stop()
    assert len(snap.stations) == 2 and snap.source == "openwrt"
