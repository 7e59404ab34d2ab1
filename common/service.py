"""Service plumbing both daemons share: logging set-up, config-error reports, stop signals."""
from __future__ import annotations

import logging
import signal
import sys

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


def handle_stop_signals(notifier, request_stop) -> None:
    """SIGTERM/SIGINT: tell systemd we are stopping at once, then stop the main loop."""
    def on_signal(signum, frame):
        notifier.stopping()
        request_stop(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
