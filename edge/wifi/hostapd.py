"""hostapd source: the control interface over a UNIX datagram socket (Pi is the AP).

Pure parsers for events and station blocks, plus HostapdSource: one thread per
interface with two sockets (commands; ATTACHed events), as wpa_ctrl advises.
Pure: standard library and the Wi-Fi modules only.
"""
from __future__ import annotations

import logging
import os
import re
import select
import socket
import threading
import time
from pathlib import Path
from typing import Callable

from common.checks import CheckLine, check_line

from .config import HostapdConfig
from .observations import (Connected, Disconnected, HealthReporter, Snapshot, SourceError,
                           Station)
from .privacy import normalize_mac

log = logging.getLogger(__name__)
RECV_BYTES = 65536  # replies reach 8 KiB; events are short
MAX_STATIONS = 4096  # a loop guard for STA-NEXT walks
_EVENT = re.compile(r"^(?:IFNAME=\S+ )?<\d+>(?P<name>[A-Z0-9_-]+)(?: (?P<rest>.*))?$", re.S)
_FLAG = re.compile(r"\[([A-Z0-9_-]+)")


def parse_event(text: str) -> tuple[str, str | None] | None:
    """'<3>AP-STA-CONNECTED 6a:.. keyid=x' -> ('AP-STA-CONNECTED', '6a:..'); None if not an event."""
    match = _EVENT.match(text.strip("\n"))
    if not match:
        return None
    name, rest = match.group("name"), (match.group("rest") or "").strip()
    # The MAC is the first token after the name; OpenWrt appends key=value pairs.
    mac = normalize_mac(rest.split()[0]) if rest else None
    return name, mac


def parse_sta_block(text: str) -> tuple[str, bool, Station]:
    """A STA-FIRST/STA-NEXT reply -> (mac, authorized, station); ValueError if malformed."""
    lines = text.splitlines()
    mac = normalize_mac(lines[0]) if lines else None
    if mac is None:
        raise ValueError("station block does not start with a MAC address")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    flags = set(_FLAG.findall(fields.get("flags", "")))
    authorized = "AUTHORIZED" in flags if "flags" in fields else True

    def number(key: str) -> int | None:
        try:
            return int(fields[key].split()[0])
        except (KeyError, ValueError, IndexError):
            return None

    inactive = number("inactive_msec")
    return mac, authorized, Station(
        mac, inactive_s=None if inactive is None else inactive / 1000,
        connected_s=number("connected_time"),
        rx_bytes=number("rx_bytes"), tx_bytes=number("tx_bytes"))


class _Link:
    """One hostapd interface: connect, ATTACH, reconcile, listen, ping; reconnect on trouble."""

    def __init__(self, cfg: HostapdConfig, iface: str, snapshot_interval: float,
                 retry_max: float, post: Callable[[object], None], stop: threading.Event):
        self.cfg, self.iface, self.post, self.stop = cfg, iface, post, stop
        self.name = f"hostapd:{iface}"
        self.server = str(Path(cfg.ctrl_dir) / iface)
        self.snapshot_interval, self.retry_max = snapshot_interval, retry_max
        self.cmd: socket.socket | None = None
        self.ev: socket.socket | None = None
        self.paths: list[str] = []
        self.health = HealthReporter(self.name, post)
        self.snapshots = True
        self.attempts = 0  # connection attempts, for `check` and tests

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            self.attempts += 1
            try:
                self._connect()
                self._report(True, "")
                failures = 0
                self._serve()
            except SourceError as exc:
                self._report(False, str(exc))
            except Exception as exc:  # the thread must outlive any surprise
                self._report(False, f"unexpected {type(exc).__name__}")
            finally:
                self._close()
            self.stop.wait(min(self.retry_max, 0.5 * 2 ** failures))
            failures = min(failures + 1, 20)

    def _report(self, ok: bool, detail: str) -> None:
        self.health.report(ok, detail)

    def _socket(self, role: str) -> socket.socket:
        if not os.path.exists(self.server):
            raise SourceError(f"control socket {self.server} missing: is hostapd running "
                              "with ctrl_interface set?")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # hostapd answers to the sender's address, so the client must bind first.
        path = ""
        if self.cfg.client_dir:
            path = os.path.join(self.cfg.client_dir, f"ch-{os.getpid()}-{self.iface}-{role}")
        try:
            if len(path.encode()) > 107:
                raise OSError(0, "path longer than 107 bytes")
            if path and os.path.exists(path):  # left over from a crash
                os.unlink(path)
            sock.bind(path)  # "" = abstract autobind: no file, no stale path
        except OSError as exc:
            sock.close()
            raise SourceError(f"cannot bind a client socket in {self.cfg.client_dir!r} "
                              f"({exc.strerror or exc})") from None
        if path:
            self.paths.append(path)
        try:
            sock.connect(self.server)
        except OSError as exc:
            sock.close()
            raise SourceError(f"cannot reach {self.server}: {exc.strerror or exc}") from None
        return sock

    def _connect(self) -> None:
        self.cmd = self._socket("cmd")
        if self._request(b"PING") != b"PONG\n":
            raise SourceError("hostapd did not answer PING")
        self.ev = self._socket("ev")
        self._send(self.ev, b"ATTACH")
        if self._recv(self.ev, skip_events=True) != b"OK\n":
            raise SourceError("hostapd refused ATTACH")
        self.snapshots = True
        self._snapshot()

    def _close(self) -> None:
        for sock in (self.cmd, self.ev):
            if sock is not None:
                sock.close()
        self.cmd = self.ev = None
        for path in self.paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.paths = []

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.send(data)
        except OSError as exc:  # ECONNREFUSED / ENOENT: hostapd stopped or restarted
            raise SourceError(f"hostapd went away ({exc.strerror or exc})") from None

    def _recv(self, sock: socket.socket, skip_events: bool = False) -> bytes:
        deadline = time.monotonic() + self.cfg.reply_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise SourceError("no reply from hostapd")
            try:
                data = sock.recv(RECV_BYTES)
            except OSError as exc:
                raise SourceError(f"hostapd went away ({exc.strerror or exc})") from None
            if skip_events and data.startswith((b"<", b"IFNAME=")):
                self._event(data)
                continue
            return data

    def _request(self, command: bytes) -> bytes:
        sock = self.cmd
        sock.setblocking(False)
        try:
            while True:  # drop a late reply to an earlier request that timed out
                sock.recv(RECV_BYTES)
        except (BlockingIOError, OSError):
            pass
        sock.setblocking(True)
        self._send(sock, command)
        return self._recv(sock, skip_events=True)

    def _event(self, data: bytes) -> None:
        parsed = parse_event(data.decode("utf-8", "replace"))
        if parsed is None:
            return
        name, mac = parsed
        if name == "AP-STA-CONNECTED" and mac:
            self.post(Connected(self.name, mac))
        elif name == "AP-STA-DISCONNECTED" and mac:
            self.post(Disconnected(self.name, mac))
        elif name in ("CTRL-EVENT-TERMINATING", "AP-DISABLED"):
            raise SourceError(f"hostapd reported {name}")

    def _snapshot(self) -> None:
        """STA-FIRST / STA-NEXT until the empty reply; post the complete list only."""
        if not self.snapshots:
            return
        for _attempt in range(2):  # a station leaving mid-walk makes STA-NEXT fail: redo
            stations: list[Station] = []
            seen: set[str] = set()
            reply = self._request(b"STA-FIRST")
            if reply.startswith(b"UNKNOWN COMMAND"):
                log.info("wifi source %s: no STA-FIRST (wpad-basic?); events only", self.name)
                self.snapshots = False
                return
            while reply and not reply.startswith(b"FAIL") and len(seen) < MAX_STATIONS:
                try:
                    mac, authorized, station = parse_sta_block(reply.decode("utf-8", "replace"))
                except ValueError:
                    break
                if mac in seen:
                    break
                seen.add(mac)
                if authorized:
                    stations.append(station)
                reply = self._request(b"STA-NEXT " + mac.encode())
            if not reply:
                self.post(Snapshot(self.name, tuple(stations)))
                return
        log.debug("wifi source %s: station walk incomplete; skipped", self.name)

    def _serve(self) -> None:
        now = time.monotonic()
        next_ping = now + self.cfg.ping_interval
        next_snapshot = now + self.snapshot_interval
        last_rx = now
        while not self.stop.is_set():
            now = time.monotonic()
            wake = min(next_ping, next_snapshot, last_rx + self.cfg.reattach_after)
            if select.select([self.ev], [], [], max(0.0, min(wake - now, 0.25)))[0]:
                data = self._recv(self.ev)
                last_rx = time.monotonic()
                if data.startswith((b"<", b"IFNAME=")):
                    self._event(data)
                elif data.startswith(b"FAIL"):
                    raise SourceError("hostapd refused ATTACH")
                continue
            now = time.monotonic()
            if now >= last_rx + self.cfg.reattach_after:
                # hostapd silently drops listeners it could not reach: attach again.
                self._send(self.ev, b"ATTACH")
                last_rx = now
            if now >= next_ping:
                if self._request(b"PING") != b"PONG\n":
                    raise SourceError("hostapd did not answer PING")
                next_ping = now + self.cfg.ping_interval
            if now >= next_snapshot:
                self._snapshot()
                next_snapshot = time.monotonic() + self.snapshot_interval


class HostapdSource:
    """Reads each configured interface's control socket on its own thread."""

    def __init__(self, cfg: HostapdConfig, snapshot_interval: float, retry_max: float,
                 post: Callable[[object], None]):
        self.cfg = cfg
        self._stop = threading.Event()
        self.links = [_Link(cfg, iface, snapshot_interval, retry_max, post, self._stop)
                      for iface in cfg.interfaces]
        self.names = [link.name for link in self.links]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self.cfg.client_dir:
            try:
                os.makedirs(self.cfg.client_dir, exist_ok=True)
            except OSError:
                pass  # reported as a bind failure by the link, with backoff
        for link in self.links:
            thread = threading.Thread(target=link.run, name=f"wifi-{link.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def check(self) -> list[CheckLine]:
        return [check_line(f"wifi.{link.name}", os.path.exists(link.server),
                           ("check.wifi.hostapd.found", "check.wifi.hostapd.missing"),
                           "check.wifi.hostapd.fix", socket=link.server) for link in self.links]
