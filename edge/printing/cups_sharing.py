"""The LAN sharing of the house queue in CUPS (pycups), for phone printing: share it at
start, read it for `check`. One-shot calls from the calling thread (their own Connection),
like cups_queue.check_queue; what the answers mean is decided in edge.printing.phone.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from common.checks import CheckLine

from .cups_queue import IPP_NOT_FOUND
from .phone import avahi_running, check_lines, parse_sharing

log = logging.getLogger(__name__)

IPP_REFUSED = (0x0401, 0x0402, 0x0403)  # forbidden, not authenticated, not authorized
SHARING_ATTRS = ["printer-is-shared", "job-hold-until-default"]


def _connect(server: str):
    import cups
    cups.setPasswordCB(lambda *args: "")  # never prompt on a terminal: fail without rights
    if server:
        cups.setServer(server)
    return cups.Connection()


def share_queue(server: str, name: str) -> str:
    """Set printer-is-shared on the queue: "ok", "missing", "refused" (no CUPS admin
    rights) or "unreachable"."""
    import cups
    try:
        _connect(server).setPrinterShared(name, True)
        return "ok"
    except cups.IPPError as exc:
        code = exc.args[0] if exc.args else None
        return "missing" if code == IPP_NOT_FOUND else \
            "refused" if code in IPP_REFUSED else "unreachable"
    except cups.HTTPError as exc:
        return "refused" if exc.args and exc.args[0] in (401, 403) else "unreachable"
    except RuntimeError:
        return "unreachable"


def read_sharing(server: str, name: str) -> tuple[str, Mapping[str, Any] | None,
                                                  Mapping[str, str] | None]:
    """(status, the queue's sharing attributes or None, cupsd's settings or None when
    this user may not read them)."""
    import cups
    try:
        conn = _connect(server)
        try:
            attrs = conn.getPrinterAttributes(name, requested_attributes=SHARING_ATTRS)
        except cups.IPPError as exc:
            if exc.args and exc.args[0] == IPP_NOT_FOUND:
                return "missing", None, None
            raise
        try:
            settings = conn.adminGetServerSettings()
        except (cups.IPPError, cups.HTTPError, RuntimeError):
            settings = None  # reading cupsd.conf needs admin rights
        return "ok", attrs, settings
    except (RuntimeError, cups.IPPError, cups.HTTPError):
        return "unreachable", None, None


# ----- what the print feature calls ----------------------------------------------------------

def apply_share_on_lan(server: str, name: str) -> str:
    """`[printer] share_on_lan = true`: share the queue at start (never unshared here: the
    house PC prints to the same shared queue). Logs what happened."""
    result = share_queue(server, name)
    if result == "ok":
        log.info("print: queue %s shared on the LAN for phones", name)
    elif result == "refused":
        log.warning("print: not allowed to share queue %s (the agent's user must be in the "
                    "lpadmin group); phones will not find it", name)
    else:
        log.warning("print: could not share queue %s on the LAN: %s", name, result)
    return result


def sharing_lines(server: str, name: str, share_on_lan: bool) -> list[CheckLine]:
    status, attrs, settings = read_sharing(server, name)
    if status != "ok":
        return []  # the queue line already says so
    return check_lines(share_on_lan, parse_sharing(attrs, settings, avahi_running()), name)
