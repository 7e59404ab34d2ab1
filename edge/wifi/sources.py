"""The Wi-Fi source registry: name -> factory, and the polling thread snapshot sources share.

A source is started and stopped by the feature, posts observation items (never raises
into the agent), and reports each health transition once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Mapping, Protocol

from common.checks import CheckLine

from .config import WifiConfig
from .dnsmasq import DnsmasqLeases
from .hostapd import HostapdSource
from .iw import IwStationDump
from .observations import HealthReporter, Snapshot, SourceError, Station
from .openwrt import UbusClients

log = logging.getLogger(__name__)
Post = Callable[[object], None]
OPENWRT_PASSWORD_ENV = "CULTUREHOUSE_OPENWRT_PASSWORD"


class Source(Protocol):
    names: list[str]  # health keys (one per interface for hostapd)

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def check(self) -> list[CheckLine]: ...


class Fetcher(Protocol):
    def fetch(self) -> tuple[Station, ...]: ...
    def check(self) -> list[CheckLine]: ...


class PollingSource:
    """Calls `fetcher.fetch()` every interval on its own thread and posts a Snapshot."""

    def __init__(self, name: str, fetcher: Fetcher, interval: float, retry_max: float,
                 post: Post):
        self.name, self.fetcher, self.interval, self.retry_max = name, fetcher, interval, retry_max
        self.post = post
        self.names = [name]
        self.health = HealthReporter(name, post)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"wifi-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def check(self) -> list[CheckLine]:
        return self.fetcher.check()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                stations = self.fetcher.fetch()
            except SourceError as exc:
                self._report(False, str(exc))
            except Exception as exc:  # a parser surprise must not end counting
                self._report(False, f"unexpected {type(exc).__name__}")
            else:
                self.post(Snapshot(self.name, stations))
                self._report(True, "")
                failures = 0
                self._stop.wait(self.interval)
                continue
            self._stop.wait(min(self.retry_max, self.interval * 2 ** failures))
            failures = min(failures + 1, 20)

    @property
    def ok(self) -> bool | None:
        """Whether the last read worked (None before the first)."""
        return self.health.ok

    def _report(self, ok: bool, detail: str) -> None:
        self.health.report(ok, detail)


def build_hostapd(cfg: WifiConfig, post: Post, env: Mapping[str, str]) -> Source:
    return HostapdSource(cfg.hostapd, cfg.snapshot_interval, cfg.retry_max, post)


def build_iw(cfg: WifiConfig, post: Post, env: Mapping[str, str]) -> Source:
    return PollingSource("iw", IwStationDump(cfg.iw), cfg.snapshot_interval, cfg.retry_max, post)


def build_dnsmasq(cfg: WifiConfig, post: Post, env: Mapping[str, str]) -> Source:
    return PollingSource("dnsmasq", DnsmasqLeases(cfg.dnsmasq, time.time),
                         cfg.snapshot_interval, cfg.retry_max, post)


def build_openwrt(cfg: WifiConfig, post: Post, env: Mapping[str, str]) -> Source:
    password = env.get(OPENWRT_PASSWORD_ENV) or cfg.openwrt.password
    return PollingSource("openwrt", UbusClients(cfg.openwrt, password),
                         cfg.snapshot_interval, cfg.retry_max, post)


SOURCES: dict[str, Callable[[WifiConfig, Post, Mapping[str, str]], Source]] = {
    "hostapd": build_hostapd,
    "iw": build_iw,
    "dnsmasq": build_dnsmasq,
    "openwrt": build_openwrt,
}


def build_sources(cfg: WifiConfig, post: Post, env: Mapping[str, str] | None = None) -> list[Source]:
    """The configured sources, in config order."""
    env = os.environ if env is None else env
    return [SOURCES[name](cfg, post, env) for name in cfg.sources]
