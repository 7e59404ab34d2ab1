"""systemd notify protocol (READY, WATCHDOG, STOPPING) over $NOTIFY_SOCKET; no-op without it."""
from __future__ import annotations

import os
import socket
import time


class SystemdNotifier:
    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) advises.
        self.watchdog_every = int(usec) / 2e6 if usec.isdigit() else None
        self._last_ping = 0.0

    def _send(self, message: str) -> None:
        if not self.address:
            return
        addr = self.address
        if addr.startswith("@"):
            addr = "\0" + addr[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(addr)
                sock.sendall(message.encode())
            except OSError:
                pass  # systemd gone: nothing useful to do

    def ready(self) -> None:
        self._send("READY=1")

    def watchdog(self) -> None:
        """Called from the main loop each pass; pings only as often as needed."""
        if self.watchdog_every is None:
            return
        mono = time.monotonic()
        if mono - self._last_ping >= self.watchdog_every:
            self._last_ping = mono
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")
