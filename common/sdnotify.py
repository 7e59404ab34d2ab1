"""systemd notify protocol (READY, WATCHDOG, STOPPING, STATUS) over $NOTIFY_SOCKET.

A no-op without $NOTIFY_SOCKET (run by hand, in tests, in the demo). Standard library only.
"""
from __future__ import annotations

import os
import socket
import time


class SystemdNotifier:
    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        # As sd_watchdog_enabled(3): the watchdog is ours only if no other pid is named
        # (a child started with our environment must not keep us alive), and we ping at
        # half the period so one late pass of the main loop is not fatal.
        mine = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog_every = int(usec) / 2e6 if usec.isdigit() and int(usec) and mine else None
        self._last_ping: float | None = None
        self._stopping = False

    def _send(self, message: str) -> None:
        if not self.address:
            return
        addr = self.address
        if addr.startswith("@"):  # abstract namespace socket
            addr = "\0" + addr[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                sock.connect(addr)
                sock.sendall(message.encode())
            except OSError:
                pass  # systemd gone or restarting: nothing useful to do

    def ready(self) -> None:
        self._send("READY=1")

    def status(self, text: str) -> None:
        """One line shown by `systemctl status`."""
        self._send("STATUS=" + text.replace("\n", " "))

    def watchdog(self) -> None:
        """Called from the main loop each pass; pings only as often as needed.

        Never call it from a timer thread: the point is that a stuck main loop stops
        the pings and systemd restarts the service.
        """
        if self.watchdog_every is None or self._stopping:
            return  # once STOPPING=1 is said, a ping from the pass under way would follow it
        mono = time.monotonic()
        if self._last_ping is None or mono - self._last_ping >= self.watchdog_every:
            self._last_ping = mono
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._stopping = True
        self._send("STOPPING=1")
