"""Who may use the scan page: the LAN's subnets, the house PC's address, staff PIN sessions;
and the log of refused requests, at most one line a minute per kind.

Pure: standard library only.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import re
import secrets
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)
SESSION_SECONDS = 2 * 3600
TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{32})")  # ASCII digits: \d takes any script's


def client_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A client's address as an IP (IPv4-mapped IPv6 as IPv4), None if it is not one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


def is_allowed(address: str, subnets: tuple[str, ...]) -> bool:
    """Whether a client address lies in one of the subnets (IPv4-mapped IPv6 included)."""
    ip = client_ip(address)
    return ip is not None and any(ip in ipaddress.ip_network(net, strict=False)
                                  for net in subnets)


def cookie(header: str, name: str) -> str | None:
    """One cookie's value from a Cookie header, read leniently (any junk around it)."""
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip()
    return None


class StaffSessions:
    """Signed session tokens "<issued>.<mac>" given for a correct PIN; nothing is stored."""

    def __init__(self, wall: Callable[[], float] = time.time):
        self._secret = secrets.token_bytes(32)  # a restart ends every session
        self.wall = wall

    def issue(self) -> str:
        return self._token(int(self.wall()))

    def _token(self, issued: int) -> str:
        mac = hmac.new(self._secret, str(issued).encode(), hashlib.sha256).hexdigest()[:32]
        return f"{issued}.{mac}"

    def is_valid(self, value: str) -> bool:
        """A token we issued less than SESSION_SECONDS ago; anything else simply is not."""
        found = TOKEN.fullmatch(value)
        if found is None:
            return False
        issued = int(found[1])
        return -60 <= self.wall() - issued < SESSION_SECONDS and \
            hmac.compare_digest(self._token(issued).encode(), value.encode())


class RefusalLog:
    """Refused requests as WARNING lines: the kind only (never content or address), and
    at most one line a minute per kind, however many arrive."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, int]] = {}  # kind → (logged at, held back since)

    def note(self, what: str) -> None:
        now = self.clock()
        with self._lock:
            last, quiet = self._last.get(what, (-math.inf, 0))
            if now - last < 60:
                self._last[what] = (last, quiet + 1)
                return
            self._last[what] = (now, 0)
        more = f" (and {quiet} more like it since the last such line)" if quiet else ""
        log.warning("scan page: refused %s%s", what, more)
