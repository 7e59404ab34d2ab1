"""The Wi-Fi feature end to end: replay of a recorded day, restarts, rollups, privacy."""
from __future__ import annotations

import json
import logging
import queue
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import protocol
from edge.config import EdgeConfig
from edge.feature import FeatureContext, Now
from edge.wifi.config import HostapdConfig, WifiConfig
from edge.registry import FEATURES
from edge.wifi.feature import WifiFeature
from edge.wifi.observations import Connected, Disconnected, Snapshot, SourceHealth, Station
from tests.wifi.conftest import DATA
from harness.fakehostapd import FakeHostapd

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MIDNIGHT = datetime(2026, 3, 14, tzinfo=HCM).timestamp()
SRC = "hostapd:wlan0"
A, B, C = "6a:3f:91:0c:7d:12", "f2:18:98:4c:aa:01", "00:1a:2b:3c:4d:5e"
TV = "3c:28:6d:11:22:33"


def at(seconds: float) -> Now:
    """Virtual clock: seconds after local midnight of 2026-03-14."""
    return Now(wall=MIDNIGHT + seconds, mono=10_000.0 + seconds)


class Harness:
    def __init__(self, state_dir: Path, cfg: WifiConfig | None = None):
        self.posted: queue.Queue = queue.Queue()
        self.events: list[tuple[str, dict]] = []
        self.ctx = FeatureContext("house-01", state_dir, self.posted.put,
                                  lambda kind, data: self.events.append((kind, dict(data))))
        self.cfg = cfg or WifiConfig(enabled=True, sources=())
        self.feature = WifiFeature(self.cfg, self.ctx, env={})
        self.feature.start()

    def daily(self) -> list[dict]:
        return [data for kind, data in self.events if kind == "wifi.daily"]


@pytest.fixture
def harness(tmp_path):
    h = Harness(tmp_path)
    yield h
    h.feature.stop()


def test_a_replayed_day_through_the_fake_hostapd_gives_the_expected_rollup(tmp_path, short_dir):
    (short_dir / "ctrl").mkdir()
    fake = FakeHostapd(short_dir / "ctrl").start()
    cfg = WifiConfig(enabled=True, sources=("hostapd",), snapshot_interval=3600,
                     hostapd=HostapdConfig(ctrl_dir=str(short_dir / "ctrl"),
                                           client_dir=str(short_dir), ping_interval=1))
    h = Harness(tmp_path, cfg)
    feature = h.feature
    try:
        feature.tick(at(0))
        while True:  # the reconcile snapshot, then "up"
            item = h.posted.get(timeout=10)
            assert feature.handle(item, at(0))
            if isinstance(item, SourceHealth):
                break
        for line in (DATA / "replay_day.jsonl").read_text().splitlines():
            record = json.loads(line)
            fake.send_raw(record["line"].encode())
            feature.tick(at(record["t"]))
            if "AP-STA-CONNECTED" in record["line"] or "AP-STA-DISCONNECTED" in record["line"]:
                item = h.posted.get(timeout=10)
                assert isinstance(item, (Connected, Disconnected))
                assert feature.handle(item, at(record["t"]))
        for hour in range(23, 25):
            feature.tick(at(hour * 3600 + 600))
    finally:
        feature.stop()
        fake.stop()
    expected = json.loads((DATA / "replay_day.expected.json").read_text())
    assert h.daily() == [expected]


def test_wifi_daily_is_emitted_once_for_the_day_just_ended(harness):
    f = harness.feature
    f.tick(at(0))
    f.handle(Connected(SRC, A), at(3600))
    f.handle(Disconnected(SRC, A), at(7200))
    f.tick(at(86400 - 1))
    assert harness.daily() == []
    f.tick(at(86400 + 1))
    f.tick(at(86400 + 2))
    assert [d["day"] for d in harness.daily()] == ["2026-03-14"]


def test_a_day_without_visitors_still_gets_its_rollup(harness):
    harness.feature.tick(at(3600))
    harness.feature.tick(at(86400 + 5))
    (day,) = harness.daily()
    assert (day["unique_devices"], day["sessions"], day["peak_hour"]) == (0, 0, None)


def test_the_rollup_waits_for_a_session_still_in_its_grace_period(harness):
    f = harness.feature
    f.tick(at(0))
    f.handle(Connected(SRC, A), at(86400 - 600))
    f.handle(Disconnected(SRC, A), at(86400 - 30))
    f.tick(at(86400 + 1))
    assert harness.daily() == []
    f.tick(at(86400 + 31))
    assert [d["sessions"] for d in harness.daily()] == [1]


def test_a_restart_after_midnight_does_not_emit_the_day_again(tmp_path):
    first = Harness(tmp_path)
    first.feature.tick(at(0))
    first.feature.handle(Connected(SRC, A), at(60))
    first.feature.tick(at(86400 + 5))
    first.feature.stop()
    second = Harness(tmp_path)
    second.feature.tick(at(86400 + 200))
    second.feature.stop()
    assert len(first.daily()) == 1 and second.daily() == []


def test_open_sessions_survive_a_restart_and_are_reconciled_by_the_first_snapshot(tmp_path):
    first = Harness(tmp_path)
    f = first.feature
    f.tick(at(0))
    f.handle(Connected(SRC, A), at(1000))
    f.handle(Connected(SRC, B), at(1000))
    f.tick(at(1100))
    f.stop()
    second = Harness(tmp_path)
    g = second.feature
    g.tick(at(1200))
    assert g.metrics(at(1200))["wifi.sessions.active"] == 2
    g.handle(Snapshot(SRC, (Station(A),)), at(1230))  # B left while we were down
    assert g.metrics(at(1230))["wifi.clients"] == 1
    g.handle(Disconnected(SRC, A), at(5000))
    g.tick(at(86400 + 5))
    g.stop()
    (day,) = second.daily()
    assert day["sessions"] == 2 and day["unique_devices"] == 2
    assert day["dwell_p90_s"] == 4000  # A: 1000 -> 5000, one session across the restart
    assert day["dwell_p50_s"] == 100  # B: closed at its last sighting before the restart


def test_telemetry_counts_clients_sessions_and_today(harness):
    f = harness.feature
    f.handle(SourceHealth(SRC, True), at(0))
    f.handle(Connected(SRC, A), at(100))
    f.handle(Connected(SRC, B), at(100))
    f.handle(Disconnected(SRC, B), at(400))
    f.tick(at(500))
    m = f.metrics(at(500))
    protocol.check_metrics(m)
    assert {k: m[k] for k in ("wifi.clients", "wifi.sessions.active", "wifi.sessions.total",
                              "wifi.session_seconds.total", "wifi.unique.today",
                              "wifi.new.today", "wifi.returning.today", "wifi.source_ok")} == {
        "wifi.clients": 1, "wifi.sessions.active": 1, "wifi.sessions.total": 2,
        "wifi.session_seconds.total": 300, "wifi.unique.today": 2, "wifi.new.today": 2,
        "wifi.returning.today": 0, "wifi.source_ok": 1}


def test_a_device_back_the_next_day_counts_as_returning(harness):
    f = harness.feature
    f.handle(Connected(SRC, A), at(100))
    f.handle(Disconnected(SRC, A), at(400))
    f.tick(at(86400 + 100))
    f.handle(Connected(SRC, A), at(86400 + 200))
    m = f.metrics(at(86400 + 300))
    assert (m["wifi.unique.today"], m["wifi.new.today"], m["wifi.returning.today"]) == (1, 0, 1)


def test_source_ok_drops_to_zero_when_any_source_is_down(harness):
    f = harness.feature
    f.handle(SourceHealth("hostapd:wlan0", True), at(0))
    f.handle(SourceHealth("hostapd:wlan1", False, "control socket missing"), at(1))
    assert f.metrics(at(2))["wifi.source_ok"] == 0
    f.handle(SourceHealth("hostapd:wlan1", True), at(3))
    assert f.metrics(at(4))["wifi.source_ok"] == 1


def test_byte_counters_add_up_across_a_counter_wrap(harness):
    f = harness.feature
    f.handle(Snapshot("iw", (Station(A, rx_bytes=4294967000, tx_bytes=100),)), at(0))
    f.handle(Snapshot("iw", (Station(A, rx_bytes=500, tx_bytes=300),)), at(30))
    assert f.metrics(at(31))["wifi.bytes.total"] == 4294967000 + 100 + 500 + 200


def test_configured_infrastructure_is_counted_apart_from_users(tmp_path):
    h = Harness(tmp_path, WifiConfig(enabled=True, sources=(), infrastructure=(TV.upper(),)))
    f = h.feature
    f.handle(Connected(SRC, TV), at(0))
    f.handle(Connected(SRC, A), at(0))
    m = f.metrics(at(10))
    assert (m["wifi.clients"], m["wifi.infrastructure"], m["wifi.unique.today"]) == (1, 1, 1)
    f.tick(at(86400 + 10))
    f.stop()
    (day,) = h.daily()
    assert (day["unique_devices"], day["infrastructure_devices"]) == (1, 1)


def test_a_device_present_all_day_for_three_days_becomes_infrastructure(harness):
    f = harness.feature
    f.tick(at(0))
    f.handle(Connected(SRC, TV), at(0))
    for day in (1, 2):
        f.tick(at(day * 86400 + 5))
        assert f.metrics(at(day * 86400 + 6))["wifi.clients"] == 1
    f.tick(at(3 * 86400 + 5))
    m = f.metrics(at(3 * 86400 + 6))
    assert (m["wifi.clients"], m["wifi.infrastructure"]) == (0, 1)


def test_the_pseudonym_key_is_private_and_rotated_when_it_is_old(tmp_path):
    cfg = WifiConfig(enabled=True, sources=(), key_rotation=86400)
    h = Harness(tmp_path, cfg)
    f = h.feature
    f.handle(Connected(SRC, A), at(3600))
    key_file = tmp_path / "wifi" / "key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    first_key = key_file.read_text()
    f.tick(at(86400 + 5))  # key 23 h old: kept
    assert key_file.read_text() == first_key
    assert f.metrics(at(86400 + 6))["wifi.returning.today"] == 1
    f.tick(at(2 * 86400 + 5))  # 47 h old: rotated
    assert key_file.read_text() != first_key
    assert key_file.stat().st_mode & 0o777 == 0o600
    m = f.metrics(at(2 * 86400 + 6))
    assert (m["wifi.clients"], m["wifi.new.today"], m["wifi.returning.today"]) == (1, 1, 0)
    f.stop()


def test_the_status_command_reports_counts_and_failing_sources(harness):
    f = harness.feature
    f.handle(SourceHealth("iw", False, "iw not found"), at(0))
    f.handle(Connected(SRC, A), at(1))
    outcome = f.on_command("wifi_status", {}, at(2))
    protocol.check_data({"detail": outcome.detail})
    assert outcome.ok and outcome.detail["clients"] == 1
    assert outcome.detail["sources_down"] == ["iw"]
    assert f.on_command("reboot", {}, at(3)) is None


def test_items_of_other_features_are_left_alone(harness):
    assert harness.feature.handle(object(), at(0)) is False


def test_the_registry_builds_wifi_from_its_section_and_the_houses_time_zone(tmp_path):
    cfg = EdgeConfig()
    cfg = replace(cfg, wifi=replace(cfg.wifi, enabled=True, sources=()),
                  house=replace(cfg.house, timezone="Asia/Bangkok"))
    ctx = FeatureContext("house-01", tmp_path, lambda _i: None, lambda _k, _d: None)
    feature = FEATURES["wifi"].build(cfg, ctx)
    assert feature.name == "wifi" and feature.timezone == "Asia/Bangkok"
    assert feature.cfg is cfg.wifi


# ----- privacy: scan every byte that leaves the feature ---------------------------------

def mac_forms(mac: str) -> list[bytes]:
    bare = mac.replace(":", "")
    forms = [mac, mac.replace(":", "-"), bare, bare[:6] + ":" + bare[6:]]
    forms += [f.upper() for f in forms]
    return [f.encode() for f in forms] + [bytes.fromhex(bare)]


def assert_no_mac(blob: bytes, where: str) -> None:
    for mac in (A, B, C, TV):
        for form in mac_forms(mac):
            assert form not in blob, f"a MAC address ({len(form)}-byte form) is in {where}"
    assert not protocol.MAC_LIKE.search(blob.decode("latin-1")), f"MAC-like text in {where}"


def test_no_mac_address_reaches_mqtt_payloads_logs_or_disk(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = WifiConfig(enabled=True, sources=(), infrastructure=(TV,))
    h = Harness(tmp_path, cfg)
    f = h.feature
    f.tick(at(0))
    f.handle(SourceHealth(SRC, True), at(0))
    for n, mac in enumerate((A, B, C, TV)):
        f.handle(Connected(SRC, mac), at(100 + n))
    f.handle(Snapshot(SRC, tuple(Station(m, 1.0, 50, 1000, 2000) for m in (A, B, C, TV))),
             at(130))
    f.handle(Disconnected(SRC, B), at(500))
    f.tick(at(600))
    telemetry = [f.metrics(at(600))]
    f.stop()  # saves open sessions
    g = Harness(tmp_path, cfg)  # restart: restores from disk
    g.feature.tick(at(700))
    g.feature.handle(Snapshot(SRC, (Station(A),)), at(710))
    g.feature.tick(at(86400 + 100))
    telemetry.append(g.feature.metrics(at(86400 + 100)))
    g.feature.stop()
    published = b""
    for seq, metrics in enumerate(telemetry, 1):
        published += protocol.build_telemetry(
            protocol.Telemetry("house-01", "boot", seq, 1, metrics))
    events = h.events + g.events
    assert [kind for kind, _ in events] == ["wifi.daily"]
    for seq, (kind, data) in enumerate(events, 1):
        published += protocol.build_event(protocol.Event("house-01", "boot", seq, 1, kind, data))
    assert_no_mac(published, "published payloads")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"key", "wifi.sqlite3"}
    for path in files:
        assert_no_mac(path.read_bytes(), f"file {path.name}")
    logs = "\n".join(r.getMessage() for r in caplog.records).encode()
    assert_no_mac(logs, "log records")


def test_an_unusable_state_directory_disables_counting_without_stopping_the_agent(tmp_path,
                                                                                 caplog):
    blocker = tmp_path / "state"
    blocker.write_text("a file where a directory should be")
    h = Harness(blocker)
    assert h.feature.handle(Connected(SRC, A), at(0)) is True
    h.feature.tick(at(1))
    assert h.feature.metrics(at(2)) == {"wifi.source_ok": 0}
    h.feature.stop()
    assert any("wifi counting disabled" in r.getMessage() for r in caplog.records)
