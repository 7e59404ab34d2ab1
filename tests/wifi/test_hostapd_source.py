"""HostapdSource against a fake hostapd on a real UNIX datagram socket."""
from __future__ import annotations

import logging
import os
import queue

import pytest

from edge.wifi.config import HostapdConfig
from edge.wifi.hostapd import HostapdSource
from edge.wifi.observations import Connected, Disconnected, Snapshot, SourceHealth
from harness.procs import wait_for
from harness.fakehostapd import FakeHostapd

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

PHONE = "6a:3f:91:0c:7d:12"
LAPTOP = "f2:18:98:4c:aa:01"


class Inbox:
    """Collects what a source posts, as the agent's queue would."""

    def __init__(self):
        self.q: queue.Queue = queue.Queue()
        self.items: list = []

    def post(self, item) -> None:
        self.q.put(item)

    def drain(self) -> list:
        while True:
            try:
                self.items.append(self.q.get_nowait())
            except queue.Empty:
                return self.items

    def of(self, kind) -> list:
        return [i for i in self.drain() if isinstance(i, kind)]

    def wait(self, predicate, what: str, timeout: float = 10):
        return wait_for(lambda: predicate(self.drain()), timeout, what=what)


@pytest.fixture
def ctrl(short_dir):
    (short_dir / "ctrl").mkdir()
    (short_dir / "run").mkdir()
    return short_dir


def make_source(ctrl, inbox, **overrides) -> HostapdSource:
    cfg = HostapdConfig(ctrl_dir=str(ctrl / "ctrl"), interfaces=("wlan0",),
                        client_dir=str(ctrl / "run"), ping_interval=0.2,
                        reattach_after=overrides.pop("reattach_after", 30), reply_timeout=1)
    return HostapdSource(cfg, overrides.pop("snapshot_interval", 30),
                         overrides.pop("retry_max", 0.5), inbox.post)


@pytest.fixture
def fake(ctrl):
    hostapd = FakeHostapd(ctrl / "ctrl").start()
    yield hostapd
    hostapd.stop()


@pytest.fixture
def running(ctrl, fake):
    inbox = Inbox()
    source = make_source(ctrl, inbox)
    source.start()
    inbox.wait(lambda items: any(isinstance(i, Snapshot) for i in items), "first snapshot")
    yield inbox, source
    source.stop()


def test_connect_and_disconnect_events_are_posted_with_the_interface_as_source(running, fake):
    inbox, _ = running
    fake.associate(PHONE, event_suffix=" auth_alg=open")
    fake.associate(LAPTOP, event_suffix=" vlanid=20")
    fake.leave(PHONE)
    inbox.wait(lambda items: any(isinstance(i, Disconnected) for i in items), "disconnect")
    got = [(type(i).__name__, i.source, i.mac) for i in inbox.of((Connected, Disconnected))]
    assert got == [("Connected", "hostapd:wlan0", PHONE), ("Connected", "hostapd:wlan0", LAPTOP),
                   ("Disconnected", "hostapd:wlan0", PHONE)]


def test_events_with_an_ifname_prefix_are_understood(running, fake):
    inbox, _ = running
    fake.event(f"AP-STA-CONNECTED {PHONE}", prefix="IFNAME=wlan0 ")
    inbox.wait(lambda items: any(isinstance(i, Connected) for i in items), "connect")


def test_the_first_snapshot_of_an_empty_access_point_is_empty_and_health_is_up(running):
    inbox, _ = running
    assert inbox.of(Snapshot)[0].stations == ()
    assert [(h.source, h.ok) for h in inbox.of(SourceHealth)] == [("hostapd:wlan0", True)]


def test_reconcile_lists_every_associated_station_until_the_empty_reply(ctrl, fake):
    fake.associate(PHONE, connected=412)
    fake.associate(LAPTOP)
    fake.associate("0e:55:21:9a:b0:07", flags="[AUTH][ASSOC]")  # not yet authorized
    inbox = Inbox()
    source = make_source(ctrl, inbox)
    source.start()
    try:
        snap = inbox.wait(lambda items: [i for i in items if isinstance(i, Snapshot)], "snapshot")[0]
    finally:
        source.stop()
    assert [(s.mac, s.connected_s) for s in snap.stations] == [(PHONE, 412), (LAPTOP, 10)]
    assert f"STA-NEXT {LAPTOP}" in fake.commands  # walked on until the empty reply


def test_a_station_leaving_mid_walk_makes_the_walk_start_again(ctrl, fake):
    fake.associate(PHONE)
    fake.associate(LAPTOP)
    fake.fail_next_sta_next = 1
    inbox = Inbox()
    source = make_source(ctrl, inbox)
    source.start()
    try:
        snap = inbox.wait(lambda items: [i for i in items if isinstance(i, Snapshot)], "snapshot")[0]
    finally:
        source.stop()
    assert [s.mac for s in snap.stations] == [PHONE, LAPTOP]
    assert fake.commands.count("STA-FIRST") == 2


def test_an_access_point_without_sta_commands_still_gives_events(ctrl, short_dir):
    fake = FakeHostapd(ctrl / "ctrl", sta_supported=False).start()
    inbox = Inbox()
    source = make_source(ctrl, inbox, snapshot_interval=0.2)
    source.start()
    try:
        wait_for(lambda: fake.attached(), 10, what="attach")
        fake.associate(PHONE)
        inbox.wait(lambda items: any(isinstance(i, Connected) for i in items), "connect")
        wait_for(lambda: fake.commands.count("PING") >= 3, 10, what="pings")
    finally:
        source.stop()
        fake.stop()
    assert inbox.of(Snapshot) == []
    assert fake.commands.count("STA-FIRST") == 1  # asked once, then not again
    assert [h.ok for h in inbox.of(SourceHealth)] == [True]


def test_a_missing_socket_is_reported_once_and_retried_until_hostapd_appears(ctrl, caplog):
    caplog.set_level(logging.INFO, logger="edge.wifi")
    inbox = Inbox()
    source = make_source(ctrl, inbox, retry_max=0.1)
    source.start()
    fake = FakeHostapd(ctrl / "ctrl")
    try:
        wait_for(lambda: source.links[0].attempts >= 4, 10, what="several failed attempts")
        fake.start()
        inbox.wait(lambda items: any(isinstance(i, SourceHealth) and i.ok for i in items), "up")
    finally:
        source.stop()
        fake.stop()
    health = inbox.of(SourceHealth)
    assert [h.ok for h in health] == [False, True]
    assert "control socket" in health[0].detail and "missing" in health[0].detail
    assert len([r for r in caplog.records if "down" in r.getMessage()]) == 1


def test_a_hostapd_restart_is_followed_by_reconnect_and_a_new_snapshot(running, fake):
    inbox, _ = running
    fake.restart()
    fake.associate(PHONE)
    inbox.wait(lambda items: [h.ok for h in items if isinstance(h, SourceHealth)] ==
               [True, False, True], "down then up")
    inbox.wait(lambda items: any(isinstance(i, Snapshot) and i.stations for i in items),
               "reconcile after restart")
    fake.associate(LAPTOP)
    inbox.wait(lambda items: any(isinstance(i, Connected) and i.mac == LAPTOP for i in items),
               "events after restart")


def test_terminating_makes_the_source_reconnect(running, fake):
    inbox, _ = running
    fake.event("CTRL-EVENT-TERMINATING ")
    inbox.wait(lambda items: [h.ok for h in items if isinstance(h, SourceHealth)] ==
               [True, False, True], "reconnect after TERMINATING")


def test_after_a_silent_detach_the_source_attaches_again(ctrl, fake):
    inbox = Inbox()
    source = make_source(ctrl, inbox, reattach_after=0.5)
    source.start()
    try:
        wait_for(lambda: fake.attached(), 10, what="attach")
        fake.drop_listeners()
        wait_for(lambda: fake.attached(), 10, what="attach again")
        fake.associate(PHONE)
        inbox.wait(lambda items: any(isinstance(i, Connected) for i in items), "event")
    finally:
        source.stop()
    assert [h.ok for h in inbox.of(SourceHealth)] == [True]  # no outage was needed


def test_client_sockets_are_removed_on_stop(ctrl, fake):
    inbox = Inbox()
    source = make_source(ctrl, inbox)
    source.start()
    wait_for(lambda: fake.attached(), 10, what="attach")
    assert len(os.listdir(ctrl / "run")) == 2
    source.stop()
    assert os.listdir(ctrl / "run") == []


def test_abstract_client_sockets_work_without_a_client_directory(ctrl, fake):
    inbox = Inbox()
    cfg = HostapdConfig(ctrl_dir=str(ctrl / "ctrl"), client_dir="", ping_interval=0.2)
    source = HostapdSource(cfg, 30, 0.5, inbox.post)
    source.start()
    try:
        wait_for(lambda: fake.attached(), 10, what="attach")
        fake.associate(PHONE)
        inbox.wait(lambda items: any(isinstance(i, Connected) for i in items), "event")
    finally:
        source.stop()


def test_posted_items_never_show_a_mac_in_their_repr(running, fake):
    inbox, _ = running
    fake.associate(PHONE)
    item = inbox.wait(lambda items: [i for i in items if isinstance(i, Connected)], "event")[0]
    assert PHONE not in repr(item)
