"""Pure parsers of every source, table-driven over captured-format fixtures."""
from __future__ import annotations

import json

import pytest

from edge.wifi.dnsmasq import parse_leases
from edge.wifi.hostapd import parse_event, parse_sta_block
from edge.wifi.iw import parse_station_dump
from edge.wifi.meter import ByteMeter
from edge.wifi.openwrt import SessionExpired, parse_clients, parse_reply
from edge.wifi.observations import SourceError
from tests.wifi.conftest import data
from harness.fakehostapd import sta_block

PHONE = "6a:3f:91:0c:7d:12"


@pytest.mark.parametrize("line, expected", [
    ("<3>AP-STA-CONNECTED 6a:3f:91:0c:7d:12", ("AP-STA-CONNECTED", PHONE)),
    ("<3>AP-STA-CONNECTED 6a:3f:91:0c:7d:12 auth_alg=open", ("AP-STA-CONNECTED", PHONE)),
    ("<3>AP-STA-CONNECTED 6A:3F:91:0C:7D:12 vlanid=20 keyid=x", ("AP-STA-CONNECTED", PHONE)),
    ("<3>AP-STA-DISCONNECTED 6a:3f:91:0c:7d:12", ("AP-STA-DISCONNECTED", PHONE)),
    ("IFNAME=wlan0 <3>AP-STA-DISCONNECTED 6a:3f:91:0c:7d:12", ("AP-STA-DISCONNECTED", PHONE)),
    ("<3>CTRL-EVENT-TERMINATING ", ("CTRL-EVENT-TERMINATING", None)),
    ("<3>AP-STA-CONNECTED not-a-mac", ("AP-STA-CONNECTED", None)),
    ("OK\n", None),
    ("AP-STA-CONNECTED 6a:3f:91:0c:7d:12", None),
])
def test_hostapd_event_lines_yield_the_event_name_and_first_token_mac(line, expected):
    assert parse_event(line) == expected


def test_hostapd_station_block_gives_counters_idle_and_connected_time():
    mac, authorized, station = parse_sta_block(sta_block(PHONE, connected=412, inactive_ms=820,
                                                         rx=204811, tx=2918370))
    assert (mac, authorized) == (PHONE, True)
    assert (station.connected_s, station.inactive_s) == (412, 0.82)
    assert (station.rx_bytes, station.tx_bytes) == (204811, 2918370)


def test_hostapd_station_without_authorized_flag_is_not_a_client():
    _mac, authorized, _station = parse_sta_block(
        sta_block(PHONE, flags="[AUTH][ASSOC][PENDING_POLL[WMM]"))
    assert authorized is False


def test_hostapd_station_block_without_driver_block_has_no_counters():
    mac, authorized, station = parse_sta_block(
        f"{PHONE}\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\ncapability=0x1421\n")
    assert authorized and station.connected_s is None and station.rx_bytes is None


def test_hostapd_station_block_without_a_mac_is_rejected():
    with pytest.raises(ValueError):
        parse_sta_block("FAIL\n")


def test_iw_dump_gives_the_same_stations_in_both_field_orders():
    old, old_rejected = parse_station_dump(data("iw_station_dump_6.9.txt"))
    new, new_rejected = parse_station_dump(data("iw_station_dump_6.17.txt"))
    assert old == new
    assert old_rejected == new_rejected == 0
    assert [(s.mac, s.connected_s, s.inactive_s, s.rx_bytes, s.tx_bytes) for s in old] == [
        (PHONE, 412, 0.82, 204811, 2918370),
        ("f2:18:98:4c:aa:01", 3600, 301.22, 5120, 9000)]


def test_iw_dump_leaves_out_stations_that_are_not_authorized():
    stations, _ = parse_station_dump(data("iw_station_dump_6.17.txt"))
    assert "0e:55:21:9a:b0:07" not in {s.mac for s in stations}


def test_iw_dump_with_missing_fields_and_garbage_keeps_the_good_stations():
    stations, rejected = parse_station_dump(data("iw_station_dump_fullmac.txt"))
    assert [(s.mac, s.inactive_s, s.connected_s, s.rx_bytes) for s in stations] == [
        ("3c:28:6d:11:22:33", 1.5, None, None), ("5a:00:11:22:33:44", None, 95, None)]
    assert rejected == 3  # the stray line, the bad header and the field under it


def test_byte_meter_counts_a_wrapped_32_bit_counter_from_zero():
    meter = ByteMeter()
    (before,), _ = parse_station_dump(data("iw_wrap_before.txt"))
    (after,), _ = parse_station_dump(data("iw_wrap_after.txt"))
    meter.observe("p", before.rx_bytes, before.tx_bytes, fresh=False)
    assert meter.observe("p", after.rx_bytes, after.tx_bytes, fresh=False) == (700, 2000)


def test_byte_meter_counts_the_difference_while_counters_grow():
    meter = ByteMeter()
    assert meter.observe("p", 100, 1000, fresh=True) == (100, 1000)
    assert meter.observe("p", 150, 1600, fresh=True) == (50, 600)


def test_byte_meter_takes_a_baseline_for_a_session_restored_after_restart():
    assert ByteMeter().observe("p", 100, 1000, fresh=False) == (0, 0)


def test_dnsmasq_leases_present_are_unexpired_or_infinite():
    stations, _ = parse_leases(data("dnsmasq.leases"), wall=1718001000)
    assert [s.mac for s in stations] == [PHONE, "f2:18:98:4c:aa:01", "00:1a:2b:3c:4d:5e"]


def test_dnsmasq_expiry_is_an_absolute_time():
    stations, _ = parse_leases(data("dnsmasq.leases"), wall=1718002000)
    assert [s.mac for s in stations] == [PHONE, "00:1a:2b:3c:4d:5e"]


def test_dnsmasq_malformed_lines_are_rejected_and_duid_and_ipv6_lines_skipped():
    _, rejected = parse_leases(data("dnsmasq.leases"), wall=1718001000)
    assert rejected == 2


def test_ubus_get_clients_gives_authorized_stations_with_byte_counters():
    stations, rejected = parse_clients(json.loads(data("ubus_get_clients.json")))
    assert [(s.mac, s.rx_bytes, s.tx_bytes) for s in stations] == [
        (PHONE, 204811, 2918370), ("f2:18:98:4c:aa:01", 5120, 9000)]
    assert rejected == 1


@pytest.mark.parametrize("reply, error", [
    (b'{"jsonrpc":"2.0","id":1,"result":[6]}', SessionExpired),
    (b'{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"Access denied"}}',
     SessionExpired),
    (b'{"jsonrpc":"2.0","id":1,"result":[4]}', SourceError),
    (b'<html>not json</html>', SourceError),
    (b'[1,2]', SourceError),
])
def test_ubus_error_replies_become_source_errors(reply, error):
    with pytest.raises(error):
        parse_reply(reply)
