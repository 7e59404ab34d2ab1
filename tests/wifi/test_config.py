"""The [wifi] config section: documented defaults, validation messages, no MAC echoed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.settings import ConfigError, load_table
from edge.wifi.config import WifiConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "edge.example.toml"


def wifi_region_uncommented() -> str:
    text = EXAMPLE.read_text()
    region = text[text.index("## --- [wifi]"):text.index("## --- end [wifi] ---")]
    return re.sub(r"^# (\w+ = )", r"\1", region, flags=re.M)


def load(toml: str) -> WifiConfig:
    import tomllib
    return load_table(WifiConfig, tomllib.loads(toml)["wifi"], "edge.toml")


def test_every_documented_default_is_the_real_default():
    assert load(wifi_region_uncommented()) == WifiConfig()


def test_every_key_of_the_section_is_documented():
    text = wifi_region_uncommented()
    for name in WifiConfig.__dataclass_fields__:
        if name not in ("hostapd", "iw", "dnsmasq", "openwrt"):
            assert re.search(rf"^{name} = ", text, re.M), name


@pytest.mark.parametrize("toml, message", [
    ('[wifi]\nsources = ["radio"]', "sources[0]: must be one of"),
    ('[wifi]\nsources = ["dnsmasq", "hostapd"]', "do not combine it"),
    ('[wifi]\nreconnect_grace = "soon"', "reconnect_grace: expected a duration"),
    ('[wifi]\nmissed_snapshots = 0', "missed_snapshots: must be at least 1"),
    ('[wifi]\nkey_rotation = "400d"', "key_rotation: must be between 1d and 366d"),
    ('[wifi.hostapd]\ninterfaces = ["wlan0; rm"]', "hostapd.interfaces[0]: not an interface"),
    ('[wifi.openwrt]\nurl = "ftp://router"', "openwrt.url: expected http://ROUTER/ubus"),
    ('[wifi]\nradio = true', "radio: unknown key"),
])
def test_bad_values_get_a_message_naming_the_key(toml, message):
    with pytest.raises(ConfigError) as err:
        load(toml)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_a_malformed_infrastructure_mac_is_reported_without_echoing_it():
    with pytest.raises(ConfigError) as err:
        load('[wifi]\ninfrastructure = ["3c:28:6d:11:22:3", "3c:28:6d:11:22:33"]')
    assert err.value.problems == [
        "infrastructure[0]: not a MAC address (write aa:bb:cc:dd:ee:ff)"]
    assert "3c:28" not in str(err.value)
