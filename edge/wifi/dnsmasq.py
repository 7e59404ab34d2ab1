"""dnsmasq source: the DHCP lease file, a weak presence signal (a lease, not a radio link).

Pure `parse_leases` plus `DnsmasqLeases`, which reads the file on the polling thread.
Hostnames are never read into memory beyond the parser (privacy).
Pure: standard library and the Wi-Fi modules only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from common.checks import CheckLine, check_line

from .config import DnsmasqConfig
from .observations import SourceError, Station
from .privacy import normalize_mac

MAX_BYTES = 4 * 1024 * 1024


def parse_leases(text: str, wall: float) -> tuple[list[Station], int]:
    """Stations holding an unexpired IPv4 lease at `wall`, and the count of malformed lines.

    Line: `<expiry epoch, 0 = never> <mac> <ip> <hostname|*> <client-id|*>`. DHCPv6 lines
    (an IAID instead of a MAC) and the `duid` line carry no MAC and are skipped.
    """
    stations: dict[str, Station] = {}
    rejected = 0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "duid":
            continue
        if len(parts) < 4 or not parts[0].isdigit():
            rejected += 1
            continue
        mac = normalize_mac(parts[1])
        if mac is None:
            if parts[1].isdigit() or parts[1][:1] == "T" and parts[1][1:].isdigit():
                continue  # DHCPv6 IAID
            if "-" in parts[1][:3] and ":" in parts[1]:
                continue  # non-Ethernet hardware type prefix (06-...)
            rejected += 1
            continue
        expiry = int(parts[0])
        if expiry == 0 or expiry > wall:
            stations[mac] = Station(mac)
    return list(stations.values()), rejected


class DnsmasqLeases:
    def __init__(self, cfg: DnsmasqConfig, clock: Callable[[], float]):
        self.cfg, self.clock = cfg, clock
        self.rejected = 0

    def fetch(self) -> tuple[Station, ...]:
        path = Path(self.cfg.lease_file)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise SourceError(f"{path} is larger than {MAX_BYTES} bytes")
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise SourceError(f"lease file {path} missing") from None
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
        stations, rejected = parse_leases(text, self.clock())
        self.rejected += rejected
        return tuple(stations)

    def check(self) -> list[CheckLine]:
        ok = os.access(self.cfg.lease_file, os.R_OK)
        return [check_line("wifi.dnsmasq", ok, ("check.wifi.dnsmasq.readable",
                                                "check.wifi.dnsmasq.unreadable"),
                           "check.wifi.dnsmasq.fix", path=self.cfg.lease_file)]
