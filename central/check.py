"""`culturehouse-central check`: config, broker, database, web port, disk and clock on one screen.

Reuses the check lines, rendering and broker/disk/clock probes of common/checks.py.
"""
from __future__ import annotations

import dataclasses
import errno
import json
import socket
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, TextIO

from common.checks import (MIN_FREE_MB, CheckLine, assess_clock, broker_line, check_disk,
                           check_line, config_line, exit_code, load_for_check, probe_broker,
                           quiet_libraries, render_json, render_text)
from common.clock import ClockReading, read_clock
from common.i18n import phrase

TABLES = ("houses", "messages", "status_log")


def check_database(path: Path) -> CheckLine:
    """The SQLite file opens, passes quick_check and has central's tables (or can be created)."""
    if not path.exists():
        if path.parent.is_dir():
            return check_line("database", True, "check.database.new", path=path)
        return check_line("database", False, "check.database.no_folder",
                          "check.database.no_folder.fix", folder=path.parent)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            houses = db.execute("SELECT count(*) FROM houses").fetchone()[0] \
                if "houses" in tables else 0
        finally:
            db.close()
    except sqlite3.Error as exc:
        return check_line("database", False, "check.database.unusable",
                          "check.database.restore", path=path, error=exc)
    if verdict != "ok":
        return check_line("database", False, "check.database.damaged",
                          "check.database.restore", path=path, verdict=verdict)
    missing = [name for name in TABLES if name not in tables]
    if missing:
        return check_line("database", False, "check.database.foreign",
                          "check.database.foreign.fix", path=path, tables=", ".join(missing))
    return check_line("database", True, "check.database.ok", path=path, houses=houses)


def check_postgres(url: str, password: str) -> CheckLine:
    """The PostgreSQL database answers, with central's tables (or none yet: made on start)."""
    from .database import ERRORS, connect, redact
    where = redact(url)
    try:
        db = connect(url, readonly=True, password=password)
        try:
            from .postgres import schema_version
            if schema_version(db) == 0:
                return check_line("database", True, "check.database.new", path=where)
            houses = db.execute("SELECT count(*) FROM houses").fetchone()[0]
        finally:
            db.close()
    except ERRORS as exc:
        return check_line("database", False, "check.database.unusable",
                          "check.database.server.fix", path=where,
                          error=" ".join(str(exc).split())[:200])
    return check_line("database", True, "check.database.ok", path=where, houses=houses)


def central_health(host: str, port: int) -> dict | None:
    """What a culturehouse central answers on /healthz at this port (also when degraded),
    or None when none answers there."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    try:
        with urllib.request.urlopen(f"http://{target}:{port}/healthz", timeout=3) as resp:
            body = resp.read(65536)
    except urllib.error.HTTPError as exc:  # 503 while degraded still says why
        body = exc.read(65536)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    try:
        health = json.loads(body)
    except ValueError:
        return None
    return health if isinstance(health, dict) and "version" in health else None


def is_central_at(host: str, port: int) -> bool:
    """Does a culturehouse central answer /healthz on this port?"""
    return central_health(host, port) is not None


def check_web_port(host: str, port: int) -> CheckLine:
    """The dashboard port is free, or already served by central itself."""
    where = f"{host}:{port}"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            if is_central_at(host, port):
                return check_line("web", True, "check.web.answering", where=where)
            return check_line("web", False, "check.web.taken", "check.web.taken.fix",
                              where=where, port=port)
        fix = ("check.web.privileged.fix" if exc.errno == errno.EACCES
               else "check.web.bad_host.fix")
        return check_line("web", False, "check.web.cannot_listen", fix, where=where,
                          error=exc.strerror)
    return check_line("web", True, "check.web.free", where=where)


def check_broker(cfg, path: Path, timeout: float) -> CheckLine:
    """The running central's own connection, if it runs (its /healthz says): logging in
    with its user name would take over the collector's session (the broker binds client
    ids to user names)."""
    where = f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    health = central_health(cfg.web.host, cfg.web.port)
    if health is not None and isinstance(health.get("broker"), bool):
        if health["broker"]:
            return check_line("broker", True, "check.broker.central_connected", where=where,
                              user=cfg.mqtt.username)
        return check_line("broker", False, "check.broker.central_disconnected",
                          "check.broker.unreachable.fix", where=where)
    result = probe_broker(cfg.mqtt, cfg.mqtt.username, cfg.mqtt.username, timeout)
    env_file = str(path.with_suffix(".env"))
    line = broker_line(result, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt.username, env_file)
    if result.status == "credentials":  # central's password is set by hand, not by add-house
        line = dataclasses.replace(line, fix=phrase("check.broker.credentials.central_fix",
                                                    env_file=env_file, user=cfg.mqtt.username))
    return line


def run(config_path: str | Path, *, as_json: bool = False, out: TextIO | None = None,
        environ: dict | None = None, clock: Callable[[], ClockReading] = read_clock,
        min_free_mb: int = MIN_FREE_MB, broker_timeout: float = 8.0) -> int:
    """Run every central check, print the report and return the exit code."""
    from . import config as central_config
    quiet_libraries()
    out = out or sys.stdout
    path = Path(config_path)
    cfg = load_for_check(central_config.load, path, environ, "web",
                         "culturehouse-central check", "central.example.toml", as_json, out)
    if cfg is None:
        return 2
    lang = cfg.web.language
    lines = [config_line(path)]
    lines.append(check_broker(cfg, path, broker_timeout))
    database = Path(cfg.storage.database)
    lines.append(check_postgres(cfg.storage.url, cfg.storage.password) if cfg.storage.url
                 else check_database(database))
    lines.append(check_web_port(cfg.web.host, cfg.web.port))
    lines.append(check_disk("disk", database.parent, min_free_mb))
    lines.append(assess_clock(clock()))
    out.write(render_json({"config": str(path)}, lines, lang) if as_json else
              render_text("culturehouse-central check", lines, lang))
    return exit_code(lines)
