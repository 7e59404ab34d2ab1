"""[wifi] section of the edge config: which sources to read, session rules, privacy.

Pure: standard library and common.settings only; see config/edge.example.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from common.settings import Seconds

SOURCE_NAMES = ("hostapd", "iw", "dnsmasq", "openwrt")
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$")
_IFACE = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")
_UBUS_OBJECT = re.compile(r"^hostapd\.[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class HostapdConfig:
    ctrl_dir: str = "/var/run/hostapd"  # hostapd.conf ctrl_interface
    interfaces: tuple[str, ...] = ("wlan0",)
    client_dir: str = "/run/culturehouse"  # where our sockets are bound; "" = abstract
    ping_interval: Seconds = Seconds(5)
    reattach_after: Seconds = Seconds(60)  # re-ATTACH after this long without a datagram
    reply_timeout: Seconds = Seconds(3)

    def problems(self) -> list[str]:
        out = [f"interfaces[{i}]: not an interface name" for i, name in
               enumerate(self.interfaces) if not _IFACE.match(name)]
        if not self.interfaces:
            out.append("interfaces: list at least one interface")
        if not self.ctrl_dir:
            out.append("ctrl_dir: must not be empty")
        if self.client_dir and len(self.client_dir) > 60:
            out.append("client_dir: keep it short (UNIX socket paths are limited to 107 bytes)")
        for key in ("ping_interval", "reattach_after", "reply_timeout"):
            if getattr(self, key) <= 0:
                out.append(f"{key}: must be longer than 0s")
        return out


@dataclass(frozen=True)
class IwConfig:
    command: str = "iw"
    interfaces: tuple[str, ...] = ("wlan0",)
    timeout: Seconds = Seconds(10)

    def problems(self) -> list[str]:
        out = [f"interfaces[{i}]: not an interface name" for i, name in
               enumerate(self.interfaces) if not _IFACE.match(name)]
        if not self.interfaces:
            out.append("interfaces: list at least one interface")
        if not self.command:
            out.append("command: must not be empty")
        return out


@dataclass(frozen=True)
class DnsmasqConfig:
    lease_file: str = "/var/lib/misc/dnsmasq.leases"

    def problems(self) -> list[str]:
        return [] if self.lease_file else ["lease_file: must not be empty"]


@dataclass(frozen=True)
class OpenWrtConfig:
    url: str = "http://192.168.1.1/ubus"
    username: str = "culturehouse"
    password: str = field(default="", repr=False)  # or env CULTUREHOUSE_OPENWRT_PASSWORD
    objects: tuple[str, ...] = ()  # empty: every hostapd.* object the router lists
    timeout: Seconds = Seconds(10)

    def problems(self) -> list[str]:
        out = []
        if not re.match(r"^https?://[^/\s]+/\S*$", self.url):
            out.append("url: expected http://ROUTER/ubus or https://ROUTER/ubus")
        if not self.username:
            out.append("username: must not be empty (a read-only rpcd user)")
        out += [f"objects[{i}]: expected hostapd.<interface>" for i, name in
                enumerate(self.objects) if not _UBUS_OBJECT.match(name)]
        if self.timeout <= 0:
            out.append("timeout: must be longer than 0s")
        return out


@dataclass(frozen=True)
class WifiConfig:
    enabled: bool = False
    sources: tuple[Literal["hostapd", "iw", "dnsmasq", "openwrt"], ...] = ("hostapd",)
    snapshot_interval: Seconds = Seconds(30)
    retry_max: Seconds = Seconds(300)
    reconnect_grace: Seconds = Seconds(60)
    missed_snapshots: int = 2
    idle_timeout: Seconds = Seconds(600)
    bounce: Seconds = Seconds(120)
    reconcile_timeout: Seconds = Seconds(120)
    infrastructure: tuple[str, ...] = ()  # MACs of the house's own devices (TV, staff PC)
    infrastructure_hours: float = 20.0
    infrastructure_days: int = 3
    key_rotation: Seconds = Seconds(30 * 86400)
    hostapd: HostapdConfig = field(default_factory=HostapdConfig)
    iw: IwConfig = field(default_factory=IwConfig)
    dnsmasq: DnsmasqConfig = field(default_factory=DnsmasqConfig)
    openwrt: OpenWrtConfig = field(default_factory=OpenWrtConfig)

    def problems(self) -> list[str]:
        out = []
        if self.enabled and not self.sources:
            out.append("sources: list at least one of " + ", ".join(SOURCE_NAMES))
        if len(set(self.sources)) != len(self.sources):
            out.append("sources: a source is listed twice")
        if "dnsmasq" in self.sources and len(self.sources) > 1:
            # A lease outlives the connection by hours: it would reopen every session
            # that an event source has just closed.
            out.append("sources: dnsmasq is a fallback for houses with no other source; "
                       "do not combine it")
        if not 1 <= self.snapshot_interval <= 3600:
            out.append("snapshot_interval: must be between 1s and 1h")
        if self.retry_max < 1:
            out.append("retry_max: must be at least 1s")
        if self.missed_snapshots < 1:
            out.append("missed_snapshots: must be at least 1")
        for key in ("reconnect_grace", "idle_timeout", "bounce", "reconcile_timeout"):
            if getattr(self, key) <= 0:
                out.append(f"{key}: must be longer than 0s")
        # Never echo the value: these are MAC addresses.
        out += [f"infrastructure[{i}]: not a MAC address (write aa:bb:cc:dd:ee:ff)"
                for i, mac in enumerate(self.infrastructure) if not _MAC.match(mac)]
        if not 0 < self.infrastructure_hours <= 24:
            out.append("infrastructure_hours: must be between 0 and 24")
        if self.infrastructure_days < 1:
            out.append("infrastructure_days: must be at least 1")
        if not 86400 <= self.key_rotation <= 366 * 86400:
            out.append("key_rotation: must be between 1d and 366d")
        return out
