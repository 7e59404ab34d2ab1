"""A fake hostapd control interface on a real UNIX datagram socket (no radio needed).

Speaks the documented protocol: PING/PONG, ATTACH/DETACH, STA-FIRST/STA-NEXT/STA with
an empty datagram at the end of the list, FAIL, UNKNOWN COMMAND, `<3>` events to
attached listeners. A test can restart it (socket removed and re-created) or drop its
listeners silently, as hostapd does with listeners it cannot reach.
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path


def sta_block(mac: str, connected: int = 10, inactive_ms: int = 100, rx: int = 1000,
              tx: int = 5000, flags: str = "[AUTH][ASSOC][AUTHORIZED][WMM][HT]") -> str:
    return (f"{mac}\nflags={flags}\naid=1\ncapability=0x1421\ntimeout_next=NULLFUNC POLL\n"
            f"rx_packets=10\ntx_packets=20\nrx_bytes={rx}\ntx_bytes={tx}\n"
            f"inactive_msec={inactive_ms}\nsignal=-58\nrx_rate_info=650 mcs 7\n"
            f"connected_time={connected}\n")


class FakeHostapd:
    def __init__(self, ctrl_dir: str | Path, iface: str = "wlan0", sta_supported: bool = True):
        self.path = str(Path(ctrl_dir) / iface)
        self.sta_supported = sta_supported
        self.stations: dict[str, str] = {}  # mac -> block, in association order
        self.listeners: list = []
        self.commands: list[str] = []
        self.fail_next_sta_next = 0
        self.send_errors = 0
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle ---------------------------------------------------------------------

    def start(self) -> "FakeHostapd":
        if os.path.exists(self.path):
            os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.path)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """hostapd exits: its socket file is removed and listeners are forgotten."""
        sock, self._sock = self._sock, None
        if self._thread is not None:
            self._thread.join(5)  # the loop sees _sock changed within its 0.1 s timeout
        if sock is not None:
            sock.close()
        with self._lock:
            self.listeners.clear()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def restart(self) -> None:
        self.stop()
        self.start()

    # ----- what the radio does -----------------------------------------------------------

    def associate(self, mac: str, event_suffix: str = "", **block) -> None:
        with self._lock:
            self.stations[mac] = sta_block(mac, **block)
        self.event(f"AP-STA-CONNECTED {mac}{event_suffix}")

    def leave(self, mac: str) -> None:
        with self._lock:
            self.stations.pop(mac, None)
        self.event(f"AP-STA-DISCONNECTED {mac}")

    def event(self, text: str, prefix: str = "") -> None:
        self.send_raw(f"{prefix}<3>{text}".encode())

    def send_raw(self, data: bytes) -> None:
        with self._lock:
            listeners = list(self.listeners)
        sock = self._sock
        if sock is None:
            return
        for addr in listeners:
            try:
                sock.sendto(data, socket.MSG_DONTWAIT, addr)
            except OSError:
                self.send_errors += 1
                with self._lock:  # hostapd detaches a listener it cannot reach
                    if addr in self.listeners:
                        self.listeners.remove(addr)

    def drop_listeners(self) -> None:
        """Forget every ATTACHed client without telling it (hostapd's silent detach)."""
        with self._lock:
            self.listeners.clear()

    def attached(self) -> int:
        with self._lock:
            return len(self.listeners)

    # ----- protocol ----------------------------------------------------------------------

    def _reply(self, cmd: str, addr) -> bytes:
        if cmd == "PING":
            return b"PONG\n"
        if cmd == "ATTACH":
            with self._lock:
                if addr not in self.listeners:
                    self.listeners.append(addr)
            return b"OK\n"
        if cmd == "DETACH":
            with self._lock:
                if addr in self.listeners:
                    self.listeners.remove(addr)
                    return b"OK\n"
            return b"FAIL\n"
        if cmd.startswith("STA") and self.sta_supported:
            with self._lock:
                macs = list(self.stations)
                blocks = dict(self.stations)
            if cmd == "STA-FIRST":
                return blocks[macs[0]].encode() if macs else b""
            if cmd.startswith("STA-NEXT "):
                mac = cmd.split()[1]
                if self.fail_next_sta_next > 0 or mac not in blocks:
                    self.fail_next_sta_next = max(0, self.fail_next_sta_next - 1)
                    return b"FAIL\n"
                i = macs.index(mac) + 1
                return blocks[macs[i]].encode() if i < len(macs) else b""
            if cmd.startswith("STA "):
                mac = cmd.split()[1]
                return blocks[mac].encode() if mac in blocks else b"FAIL\n"
        return b"UNKNOWN COMMAND\n"

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(0.1)
        while self._sock is sock:
            try:
                data, addr = sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not addr:
                continue  # an unbound client cannot be answered
            cmd = data.decode("ascii", "replace")
            self.commands.append(cmd)
            try:
                sock.sendto(self._reply(cmd, addr), addr)
            except OSError:
                pass
