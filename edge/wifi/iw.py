"""iw source: `iw dev IFACE station dump`, parsed by key so field order does not matter.

Pure `parse_station_dump` plus `IwStationDump`, which runs the command through an
injected runner (subprocess by default) on the polling thread.
Pure: standard library and the Wi-Fi modules only.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from typing import Callable

from common.checks import CheckLine, check_line

from .config import IwConfig
from .observations import SourceError, Station
from .privacy import normalize_mac

_STATION = re.compile(r"^Station (?P<mac>\S+) \(on (?P<dev>[^)]+)\)\s*$")
_KEYVAL = re.compile(r"^\s+(?P<key>[a-z][a-z0-9 /_\[\]-]*?):\s*(?P<value>.*)$", re.I)
_INT = re.compile(r"^(\d+)")


def _int(value: str) -> int | None:
    match = _INT.match(value.strip())
    return int(match.group(1)) if match else None


def parse_station_dump(text: str) -> tuple[list[Station], int]:
    """Stations (authorized or flag absent) and the number of lines rejected as malformed."""
    stations: list[Station] = []
    rejected = 0
    block: dict[str, str] | None = None
    mac: str | None = None

    def finish() -> None:
        if mac is None or block is None:
            return
        if block.get("authorized", "yes").strip() != "yes":
            return  # associated but not (yet) allowed through: not a client
        inactive = _int(block.get("inactive time", ""))
        stations.append(Station(
            mac, inactive_s=None if inactive is None else inactive / 1000,
            connected_s=_int(block.get("connected time", "")),
            rx_bytes=_int(block.get("rx bytes", "")), tx_bytes=_int(block.get("tx bytes", ""))))

    for line in text.splitlines():
        if not line.strip():
            continue
        head = _STATION.match(line)
        if head:
            finish()
            mac = normalize_mac(head.group("mac"))
            block = {} if mac else None
            rejected += mac is None
            continue
        kv = _KEYVAL.match(line)
        if kv and block is not None:
            # MLO "Link N:" sections repeat keys: the station-level value (first) wins.
            block.setdefault(kv.group("key").strip().lower(), kv.group("value"))
        else:
            rejected += 1  # not a field, or a field of a block with a bad header
    finish()
    return stations, rejected


def run_command(argv: list[str], timeout: float) -> str:
    """Run argv and return stdout; SourceError with a plain reason otherwise."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise SourceError(f"{argv[0]} not found: install the iw package") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{argv[0]} did not finish within {timeout:g}s") from None
    except OSError as exc:
        raise SourceError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0][:120]
        raise SourceError(f"{argv[0]} failed with code {done.returncode}: {first}")
    return done.stdout


class IwStationDump:
    """Fetches one complete station list over every configured interface."""

    def __init__(self, cfg: IwConfig, runner: Callable[[list[str], float], str] = run_command):
        self.cfg, self.runner = cfg, runner
        self.rejected = 0

    def fetch(self) -> tuple[Station, ...]:
        out: list[Station] = []
        for iface in self.cfg.interfaces:
            text = self.runner([self.cfg.command, "dev", iface, "station", "dump"],
                               self.cfg.timeout)
            stations, rejected = parse_station_dump(text)
            self.rejected += rejected
            out += stations
        return tuple(out)

    def check(self) -> list[CheckLine]:
        found = shutil.which(self.cfg.command) is not None
        return [check_line("wifi.iw", found, ("check.wifi.iw.found", "check.wifi.iw.missing"),
                           "check.wifi.iw.fix", command=self.cfg.command)]
