"""Phone printing: the house queue shared on the LAN as an IPP Everywhere / AirPrint printer.

What the sharing state read from CUPS means and the `check` lines it gives, plus
`avahi_running` (a pid file); the CUPS calls live in cups_sharing.py.
Pure: standard library and common.checks only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from common.checks import CheckLine, check_line

AVAHI_PID = Path("/run/avahi-daemon/pid")


@dataclass(frozen=True)
class Sharing:
    """How the queue looks to a phone on the house LAN.

    status: "ok" | "missing" | "unreachable"; server_shares is None when cupsd's settings
    could not be read (reading them needs CUPS admin rights: run `check` as root).
    """

    status: str
    queue_shared: bool = False
    held: bool = False  # job-hold-until-default is indefinite: every job waits for PRINT
    server_shares: bool | None = None
    dnssd: bool = False  # avahi-daemon runs (phones find printers by DNS-SD through it)


def parse_sharing(attrs: Mapping[str, Any] | None, settings: Mapping[str, str] | None,
                  dnssd: bool) -> Sharing:
    """The queue's attributes (None: no such queue) and cupsd's settings (None: unreadable)."""
    if attrs is None:
        return Sharing("missing", dnssd=dnssd)
    server = None
    if settings is not None:
        protocols = settings.get("BrowseLocalProtocols", "dnssd").lower()
        server = settings.get("_share_printers") == "1" and "dnssd" in protocols
    return Sharing("ok", bool(attrs.get("printer-is-shared")),
                   attrs.get("job-hold-until-default") == "indefinite", server, dnssd)


def advertised(sharing: Sharing) -> bool:
    """Phones on the LAN find the queue (as far as the Pi can tell)."""
    return sharing.status == "ok" and sharing.queue_shared and \
        sharing.server_shares is not False and sharing.dnssd


def check_lines(share_on_lan: bool, sharing: Sharing, queue: str) -> list[CheckLine]:
    """`check`: is the queue shared for phones, and does every job from the LAN wait?"""
    if sharing.status != "ok":
        return []  # the queue line already says the queue is missing or CUPS is down
    params = {"queue": queue}
    lines = [check_line("printer.hold", sharing.held, ("check.printer.held",
                                                       "check.printer.not_held"),
                        "check.printer.not_held.fix", **params)]
    if not share_on_lan:
        lines.append(check_line("printer.lan", None, ("check.printer.lan.off_shared"
                                                      if advertised(sharing) else
                                                      "check.printer.lan.off"),
                                "check.printer.lan.off.fix", **params))
        return lines
    if not sharing.queue_shared:
        lines.append(check_line("printer.lan", False, "check.printer.lan.queue_unshared",
                                "check.printer.lan.queue_unshared.fix", **params))
    elif sharing.server_shares is False:
        lines.append(check_line("printer.lan", False, "check.printer.lan.server_off",
                                "check.printer.lan.server_off.fix", **params))
    elif not sharing.dnssd:
        lines.append(check_line("printer.lan", False, "check.printer.lan.no_avahi",
                                "check.printer.lan.no_avahi.fix", **params))
    elif sharing.server_shares is None:
        lines.append(check_line("printer.lan", None, "check.printer.lan.unknown",
                                "check.printer.lan.unknown.fix", **params))
    else:
        lines.append(check_line("printer.lan", True, "check.printer.lan.shared", **params))
    return lines


def avahi_running(pid_file: Path = AVAHI_PID) -> bool:
    """A live avahi-daemon owns its pid file."""
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
        return True
    except PermissionError:
        return True  # alive, owned by another user
    except (OSError, ValueError, IndexError):
        return False
