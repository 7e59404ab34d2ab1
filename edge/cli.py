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


def cmd_voice(args) -> int:
    """Make the missing prompt files (install time), or play one prompt on the speaker."""
    from . import config
    try:
        cfg = config.load(args.config)
    except ConfigError as exc:
        return report_config_error(exc)
    from pathlib import Path
    from .voice.player import generate
    lang = cfg.voice.language or cfg.house.language
    state_dir = Path(cfg.storage.state_dir)
    if args.say:
        return _say_once(cfg, state_dir, args.say)
    done = generate(cfg.voice, state_dir, lang, force=args.force)
    outcomes = list(done.values())
    tally = {what: outcomes.count(what) for what in sorted(set(outcomes))}
    print("voice prompts: " + ", ".join(f"{n} {what}" for what, n in tally.items()))
    failed = sorted(name for name, what in done.items() if what == "failed")
    if failed:
        print("not made (is espeak-ng installed?): " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _say_once(cfg, state_dir, key: str) -> int:
    import time
    from common.i18n import known
    from .lights import Say
    from .voice.player import Voice
    key = key if key.startswith("voice.") else f"voice.{key}"
    if not known(key):
        print(f"no prompt {key!r} in the catalogue (common/locales)", file=sys.stderr)
        return 2
    played = []
    voice = Voice(cfg.voice, state_dir, cfg.house.language, cfg.house.timezone,
                  on_played=lambda _p, ok: played.append(ok))
    voice.start()
    voice.player.say(Say(key, (("pages", 3), ("code", "123456"))))
    deadline = time.monotonic() + float(cfg.voice.play_timeout) * 4
    while not played and time.monotonic() < deadline:
        time.sleep(0.05)
    voice.stop()
    return 0 if played and played[0] else 1


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
    voice = sub.add_parser("voice", help="make the spoken prompts' files, or play one")
    voice.add_argument("--config", required=True, help="path to edge.toml")
    voice.add_argument("--generate", action="store_true",
                       help="make every missing prompt with espeak-ng (the default action)")
    voice.add_argument("--force", action="store_true",
                       help="make espeak-ng's files again (staff recordings are kept)")
    voice.add_argument("--say", metavar="PROMPT", default="",
                       help="play one prompt, e.g. paper_out (3 pages, code 123456)")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    return {"run": cmd_run, "check": cmd_check, "voice": cmd_voice}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
