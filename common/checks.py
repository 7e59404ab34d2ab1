"""Shared pieces of `culturehouse-edge check` and `culturehouse-central check`.

Check lines (✔/✘/– with the fix to try) as catalogue phrases, rendered in the house's
language (common/i18n.py), config loading for a check run, the probes both sides need
(broker, disk), and the clock line, judged from common/clock.py's reading (the one the
agent stamps its rows from).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import ssl
import tempfile
import time
import tomllib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from . import i18n

from .clock import IMPLAUSIBLE, UNKNOWN, UNSYNCHRONISED, ClockReading, clock_state

MIN_FREE_MB = 200  # an outbox, a day of scans and the journal fit comfortably


@dataclass(frozen=True)
class CheckLine:
    """One line of the report, in no language yet; ok is None when the thing was not (or
    could not be) checked. Details are the system's own words (config problems, errors)."""

    key: str
    ok: bool | None
    what: i18n.Phrase
    fix: i18n.Phrase | None = None
    details: tuple[str, ...] = ()


def check_line(key: str, ok: bool | None, what: str | tuple[str, str], fix: str = "",
               details: tuple[str, ...] = (), **params: Any) -> CheckLine:
    """A line whose what and fix are catalogue keys sharing the same parameters; what may
    be a pair of keys, the words for ok and the words for not ok."""
    if isinstance(what, tuple):
        what = what[0] if ok else what[1]
    return CheckLine(key, ok, i18n.Phrase(what, params),
                     i18n.Phrase(fix, params) if fix else None, tuple(details))


# ----- rendering (pure) ----------------------------------------------------------------------

MARK = {True: "✔", False: "✘", None: "–"}
STATUS = {True: "ok", False: "fail", None: "not_checked"}


def exit_code(lines: list[CheckLine]) -> int:
    return 1 if any(line.ok is False for line in lines) else 0


def render_text(title: str, lines: list[CheckLine], lang: str) -> str:
    say = partial(i18n.text, lang)
    out = [title, ""]
    for line in lines:
        out.append(f"{MARK[line.ok]} {say(line.what)}")
        out.extend(f"    {d}" for d in line.details)
        if line.fix and line.ok is not True:
            out.append(f"    → {say('check.try')}: {say(line.fix)}")
    failed = sum(line.ok is False for line in lines)
    out.append("")
    out.append(say("check.summary.failed", count=failed) if failed
               else say("check.summary.passed"))
    return "\n".join(out) + "\n"


def render_json(subject: dict, lines: list[CheckLine], lang: str) -> str:
    return json.dumps({**subject, "ok": exit_code(lines) == 0, "checks": [
        {"check": line.key, "status": STATUS[line.ok], "what": i18n.text(lang, line.what),
         "fix": i18n.text(lang, line.fix) if line.fix else "", "details": list(line.details)}
        for line in lines]}, ensure_ascii=False, indent=2) + "\n"


# ----- config and secrets ---------------------------------------------------------------------

def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them; missing/unreadable = {}."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def check_environ(config_path: Path, environ: dict | None) -> dict:
    """Secrets as the service sees them: the sibling .env file, then this shell's env."""
    base = read_env_file(config_path.with_suffix(".env"))
    return {**base, **(os.environ if environ is None else environ)}


def guess_language(config_path: Path, section: str, default: str = "vi") -> str:
    """The report language even when the config is broken: read just that one key."""
    try:
        table = tomllib.loads(config_path.read_text())
        lang = table.get(section, {}).get("language", default)
    except (OSError, ValueError, AttributeError):
        return default
    return lang if lang in i18n.LANGS else default


def config_failure(path: Path, problems: list[str], example: str) -> CheckLine:
    return check_line("config", False, "check.config.invalid", "check.config.invalid.fix",
                      tuple(problems), path=path, count=len(problems), example=example)


# ----- broker -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BrokerResult:
    status: str  # "ok", "credentials", "refused", "unknown_host", "unreachable", "tls", "timeout"
    detail: str = ""  # the library's or system's own words; for "timeout", the seconds waited


def probe_broker(mqtt_cfg, username: str, client_id: str, timeout: float = 8.0) -> BrokerResult:
    """Connect once with paho (clean session, no will) and classify the CONNACK or error."""
    import paho.mqtt.client as mqtt
    from .mqtt_link import build_client
    client = build_client(client_id, username, mqtt_cfg.password, tls=mqtt_cfg.tls,
                          ca_file=mqtt_cfg.ca_file, clean_session=True)
    client.connect_timeout = timeout
    answer: dict = {}
    client.on_connect = lambda c, u, flags, rc, props: answer.setdefault("rc", rc)
    try:
        client.connect(mqtt_cfg.host, mqtt_cfg.port, keepalive=int(mqtt_cfg.keepalive))
        deadline = time.monotonic() + timeout
        while "rc" not in answer and time.monotonic() < deadline:
            if client.loop(timeout=0.2) not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                break
    except socket.gaierror as exc:
        return BrokerResult("unknown_host", exc.strerror)
    except ssl.SSLError as exc:
        return BrokerResult("tls", exc.reason or str(exc))
    except (OSError, ValueError) as exc:
        return BrokerResult("unreachable", getattr(exc, "strerror", None) or str(exc))
    finally:
        try:
            client.disconnect()
            client.socket() and client.socket().close()
        except (OSError, ValueError):
            pass
    rc = answer.get("rc")
    if rc is None:
        return BrokerResult("timeout", f"{timeout:g}")
    if not rc.is_failure:
        return BrokerResult("ok")
    if rc.getName() in ("Bad user name or password", "Not authorized"):
        return BrokerResult("credentials", rc.getName())
    return BrokerResult("refused", rc.getName())


BROKER_LINES = {  # status -> (what, fix)
    "ok": ("check.broker.ok", ""),
    "credentials": ("check.broker.credentials", "check.broker.credentials.fix"),
    "tls": ("check.broker.tls", "check.broker.tls.fix"),
    "refused": ("check.broker.refused", "check.broker.unreachable.fix"),
    "unknown_host": ("check.broker.unknown_host", "check.broker.unreachable.fix"),
    "timeout": ("check.broker.timeout", "check.broker.unreachable.fix"),
    "unreachable": ("check.broker.unreachable", "check.broker.unreachable.fix"),
}


def broker_line(result: BrokerResult, host: str, port: int, user: str,
                env_file: str) -> CheckLine:
    what, fix = BROKER_LINES[result.status]
    return check_line("broker", result.status == "ok", what, fix, where=f"{host}:{port}",
                      host=host, user=user, env_file=env_file, detail=result.detail)


# ----- disk and clock (shared with central) --------------------------------------------------

def check_disk(key: str, directory: Path, min_free_mb: int = MIN_FREE_MB) -> CheckLine:
    """Free space where the data lives, and that it can be written (or created) there."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "not a directory")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".check-"):
            pass
    except OSError as exc:
        return check_line(key, False, "check.disk.unwritable", "check.disk.unwritable.fix",
                          folder=directory, error=exc.strerror)
    free_mb = shutil.disk_usage(existing).free // 2**20
    if free_mb < min_free_mb:
        return check_line(key, False, "check.disk.low", "check.disk.low.fix", folder=directory,
                          free_mb=free_mb)
    return check_line(key, True, "check.disk.ok", folder=directory, free_mb=free_mb)


def assess_clock(reading: ClockReading) -> CheckLine:
    """The check line for the one clock reading the agent stamps its rows from."""
    state = clock_state(reading)
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(reading.wall_ms / 1000))
    verdict, ok = {IMPLAUSIBLE: ("wrong", False), UNKNOWN: ("unknown", None),
                   UNSYNCHRONISED: ("unsynced", False)}.get(state, ("synced", True))
    return check_line("clock", ok, f"check.clock.{verdict}", "check.clock.fix", stamp=stamp)


# ----- the edge report ------------------------------------------------------------------------

def quiet_libraries() -> None:
    """The report is the output: libraries' INFO chatter would only hide it (-v keeps DEBUG)."""
    root = logging.getLogger()
    if root.level == logging.INFO:
        root.setLevel(logging.WARNING)


def load_for_check(load, path: Path, environ: dict | None, section: str, title: str,
                   example: str, as_json: bool, out: TextIO):
    """Load a config for a check run, or print the failing config line and return None."""
    from .settings import ConfigError
    try:
        return load(path, environ=check_environ(path, environ))
    except ConfigError as exc:
        lang = guess_language(path, section)
        line = config_failure(path, exc.problems, example)
        out.write(render_json({"config": str(path)}, [line], lang) if as_json else
                  render_text(title, [line], lang))
        return None


def config_line(path: Path) -> CheckLine:
    return check_line("config", True, "check.config.valid", path=path)
