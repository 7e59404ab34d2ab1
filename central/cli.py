"""`culturehouse-central`: run the collector and dashboard."""
from __future__ import annotations

import argparse
import sys

from common.service import handle_stop_signals, report_config_error, setup_logging
from common.settings import ConfigError

from . import __version__


def cmd_run(args) -> int:
    from . import config
    try:
        cfg = config.load(args.config)
    except ConfigError as exc:
        return report_config_error(exc)
    from common.sdnotify import SystemdNotifier
    from common.db import SchemaTooNew
    from .app import Central, parts_problem
    from .database import ERRORS, redact
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    if parts_problem(parts):
        print(f"--{parts_problem(parts)}", file=sys.stderr)
        return 2
    try:
        central = Central(cfg, parts)
    except SchemaTooNew as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    except (OSError, *ERRORS) as exc:  # the file or the server cannot be opened
        print(f"cannot start: {redact(cfg.storage.location)}: {exc}".strip(), file=sys.stderr)
        return 1
    notifier = SystemdNotifier()
    handle_stop_signals(notifier, central.request_stop)
    central.run(ready=notifier.ready, watchdog=notifier.watchdog)
    return 0


def cmd_check(args) -> int:
    from .check import run
    return run(args.config, as_json=args.json)


# Each further subcommand lives with the code it drives: (name, help, module, function).
# The module is imported only when the subcommand runs; the function is given
# (subparser) to add its arguments and called with (args) to run.
SUBCOMMANDS = [
    ("add-house", "create a house's broker credentials and ACL entries", "central.broker_admin",
     "command"),
    ("add-user", "add or change a staff login for the dashboard", "central.auth", "command"),
    ("report", "per-house per-day figures as CSV or JSON; the monthly report as XLSX or PDF",
     "central.reports", "command"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="culturehouse-central",
                                     description="culturehouse collector and dashboard")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the collector and the dashboard")
    run.add_argument("--config", required=True, help="path to central.toml")
    run.add_argument("--parts", default="collector,alerts,web",
                     help="what this process runs, comma-separated: collector, alerts, web "
                          "(default: all; see docs/scale.md)")
    check = sub.add_parser("check", help="check config, broker, database and web port")
    check.add_argument("--config", required=True, help="path to central.toml")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    import importlib
    handlers = {"run": cmd_run, "check": cmd_check}
    for name, help_text, module_name, func in SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # not built yet
        sp = sub.add_parser(name, help=help_text)
        handlers[name] = getattr(module, func)(sp)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
