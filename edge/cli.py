"""`culturehouse-edge`: run the agent, or check a house's set-up."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__
from common.service import handle_stop_signals, report_config_error, setup_logging
from common.settings import ConfigError


def cmd_run(args) -> int:
    from . import config
    try:
        cfg = config.load(args.config)
    except ConfigError as exc:
        return report_config_error(exc)
    from .agent import Agent
    from .panel import make_pin_factory
    from common.db import SchemaTooNew
    try:
        agent = Agent(cfg, pin_factory=make_pin_factory(cfg.panel.pin_factory))
    except (OSError, ValueError, SchemaTooNew) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    from common.sdnotify import SystemdNotifier
    notifier = SystemdNotifier()
    keep_signals = handle_stop_signals(notifier, agent.request_stop)
    agent.run(ready=notifier.ready, watchdog=notifier.watchdog, each_pass=keep_signals)
    # Everything the agent owns is closed and flushed. Skip the interpreter's C-level
    # teardown: a SANE backend thread cancelled mid-call can leave glibc's locale lock
    # held, and libp11-kit's destructor (loaded with pycups) then waits on it forever.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def cmd_check(args) -> int:
    from .check import run
    return run(args.config, as_json=args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="culturehouse-edge",
                                     description="culturehouse agent for a village cultural house")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the agent")
    run.add_argument("--config", required=True, help="path to edge.toml")
    check = sub.add_parser("check", help="check config, broker, printer, scanner, pins")
    check.add_argument("--config", required=True, help="path to edge.toml")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    return {"run": cmd_run, "check": cmd_check}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
