"""Service plumbing both daemons share: logging set-up, config-error reports, stop signals."""
from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Callable, TextIO

from .settings import ConfigError

# syslog priorities (sd-daemon(3)): journald reads a "<N>" prefix as the line's priority
# (SyslogLevelPrefix=yes, systemd's default), so `journalctl -p warning` finds warnings.
PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
            logging.CRITICAL: 2}
FORMAT = "%(levelname)s %(name)s: %(message)s"


class JournalFormatter(logging.Formatter):
    """Each line (a traceback's too) prefixed with its record's syslog priority."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{PRIORITY.get(record.levelno, 6 if record.levelno < 30 else 3)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def is_journal(stream: TextIO, environ: dict | None = None) -> bool:
    """Is `stream` the journal's own stream (systemd sets JOURNAL_STREAM to its dev:ino)?"""
    env = os.environ if environ is None else environ
    try:
        device, inode = (int(part) for part in env.get("JOURNAL_STREAM", "").split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def setup_logging(verbose: bool = False) -> None:
    # journald adds timestamps and the unit name; keep lines short.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter(FORMAT) if is_journal(sys.stderr)
                         else logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    logging.getLogger("PIL").setLevel(logging.WARNING)


def report_config_error(exc: ConfigError) -> int:
    """Print every problem of a refused config; the exit code for it (2)."""
    print(f"Configuration problems in {exc.source}:", file=sys.stderr)
    for problem in exc.problems:
        print(f"  - {problem}", file=sys.stderr)
    return 2


def handle_stop_signals(notifier, request_stop) -> Callable[[], None]:
    """SIGTERM/SIGINT: tell systemd we are stopping at once, then stop the main loop.

    Returns `keep`, for the main loop to call on every pass: libsane resets SIGTERM and
    SIGPIPE to their default actions during a scan, after which `systemctl stop` would kill
    the agent outright (central would record the house as lost, not stopped) and so would
    a write to a closed socket. Setting them again is a few cheap system calls.
    """
    def on_signal(signum, frame):
        notifier.stopping()
        request_stop(signal.Signals(signum).name)

    def keep() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # Python's own default: EPIPE, no death

    keep()
    return keep
