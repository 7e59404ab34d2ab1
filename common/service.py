"""Service plumbing both daemons share: logging set-up, config-error reports, stop signals."""
from __future__ import annotations

import logging
import signal
import sys
from typing import Callable

from .settings import ConfigError


def setup_logging(verbose: bool = False) -> None:
    # journald adds timestamps and the unit name; keep lines short.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
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
