"""Central's configuration: TOML into frozen dataclasses (see config/central.example.toml)."""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import protocol
from protocol.bounds import is_text
from common.mqtt_config import MqttConfig
from common.settings import Port, Seconds, load_file

from .auth import USER_NAME, is_hash

PASSWORD_ENV = "CULTUREHOUSE_CENTRAL_MQTT_PASSWORD"
SHARE_GROUP = re.compile(r"[a-z0-9_-]{1,32}")
DB_PASSWORD_ENV = "CULTUREHOUSE_CENTRAL_DB_PASSWORD"


@dataclass(frozen=True)
class StorageConfig:
    database: str = "/var/lib/culturehouse-central/central.sqlite"  # SQLite, unless `url`
    url: str = ""  # postgresql://user@host:port/dbname: PostgreSQL instead of the file
    password: str = ""  # PostgreSQL's; prefer DB_PASSWORD_ENV
    partition: Literal["day", "month"] = "month"  # PostgreSQL: messages per partition
    keep: Seconds = 0.0  # PostgreSQL: drop message partitions older than this (0: keep all)

    @property
    def location(self) -> str:
        """What central.database.connect opens: the URL when set, else the file."""
        return self.url or self.database

    def problems(self) -> list[str]:
        out = []
        if self.url:
            out += url_problems(self.url)
        elif self.keep:
            out.append("keep: retention needs PostgreSQL (storage.url)")
        if self.url and self.keep and \
                self.keep < 86400 * (31 if self.partition == "month" else 1) * 2:
            out.append(f"keep: at least two partitions' worth ({'62d' if self.partition == 'month' else '2d'}"
                       f" with partition = \"{self.partition}\"), or 0 to keep everything")
        return out


def url_problems(url: str) -> list[str]:
    """What is wrong with a storage.url (empty when it looks usable)."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return [f"url: not a URL ({exc})"]
    if parts.scheme not in ("postgresql", "postgres"):
        return ["url: must start with postgresql:// (SQLite needs no url: set database)"]
    if parts.password is not None:
        return [f"url: leave the password out of the URL; put it in {DB_PASSWORD_ENV}"]
    if not parts.path.strip("/"):
        return ["url: name the database, e.g. postgresql://culturehouse@db.example/culturehouse"]
    return []


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: Port = 8080
    language: str = "vi"
    session_idle: Seconds = 7200.0  # a login lasts this long without use ...
    session_max: Seconds = 43200.0  # ... and never longer than this in all
    cookie_secure: bool = False  # true when served over HTTPS (a reverse proxy)
    login_attempts: int = 5  # failed logins per address and user name (x4 per address) ...
    login_window: Seconds = 900.0  # ... within this window, then wait
    trusted_proxies: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-For is believed
    heartbeat_stale: Seconds = 180.0  # online but silent this long counts as offline
    threads: int = 8  # requests served at once (the rest wait; idle connections hold none)
    connection_limit: int = 500  # open connections at once
    idle_timeout: Seconds = 30.0  # a connection without a complete request is closed after

    def problems(self) -> list[str]:
        out = [] if self.language in ("vi", "en") else ["language: must be \"vi\" or \"en\""]
        if self.login_attempts < 1:
            out.append("login_attempts: must be at least 1")
        if self.session_idle < 60:
            out.append("session_idle: must be at least 1m")
        if not 1 <= self.threads <= 64:
            out.append("threads: must be between 1 and 64")
        if not 10 <= self.connection_limit <= 10000:
            out.append("connection_limit: must be between 10 and 10000")
        if not 1 <= self.idle_timeout <= 600:
            out.append("idle_timeout: must be between 1s and 10m")
        if self.session_max < self.session_idle:
            out.append("session_max: must be at least session_idle")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                out.append(f"trusted_proxies: {proxy!r} is not an IP address or network")
        return out


@dataclass(frozen=True)
class UserEntry:
    password_hash: str = ""
    role: Literal["viewer", "operator"] = "viewer"

    def problems(self) -> list[str]:
        if is_hash(self.password_hash):
            return []
        return ["password_hash: missing or not made by `culturehouse-central add-user`"]


@dataclass(frozen=True)
class AlertsConfig:
    interval: Seconds = 15.0
    offline_after: Seconds = 600.0
    printer_after: Seconds = 600.0
    scanner_after: Seconds = 60.0
    backlog_rows: int = 200
    backlog_window: Seconds = 600.0
    skew_max: Seconds = 300.0
    disk_low_pct: float = 10.0
    disk_clear_pct: float = 15.0
    help_ack_within: Seconds = 300.0
    clear_after: Seconds = 60.0
    webhook_url: str = ""
    webhook_timeout: Seconds = 5.0

    def problems(self) -> list[str]:
        out = []
        if self.disk_clear_pct < self.disk_low_pct:
            out.append("disk_clear_pct: must not be below disk_low_pct")
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            out.append("webhook_url: must start with http:// or https://")
        if self.interval < 1:
            out.append("interval: must be at least 1s")
        return out


@dataclass(frozen=True)
class ReportsConfig:
    timezone: str = "Asia/Ho_Chi_Minh"

    def problems(self) -> list[str]:
        from zoneinfo import ZoneInfo
        try:
            ZoneInfo(self.timezone)
        except (ValueError, KeyError, OSError):
            return [f"timezone: unknown time zone {self.timezone!r}"]
        return []


@dataclass(frozen=True)
class IngestConfig:
    batch_size: int = 500  # messages stored in one transaction at most
    batch_wait: Seconds = 0.2  # ... or after this long, whichever comes first
    ack_interval: Seconds = 1.0  # a house's ack watermark is published at most this often
    max_backlog_rate: float = 5.0  # messages/s each house may use to replay its backlog
    reorder_window: Seconds = 30.0  # a gap in seq waits this long before `resend` is asked
    receive_maximum: int = 2000  # QoS 1 messages the broker may have in flight to us
    session_expiry: Seconds = 7 * 86400  # the broker keeps our queue this long while we are away
    # Collectors with the same group split the houses' rows (MQTT 5 shared subscription);
    # empty: this collector takes every row (one collector, or a broker without $share).
    share_group: str = ""

    def problems(self) -> list[str]:
        out = []
        if not 1 <= self.batch_size <= 10000:
            out.append("batch_size: must be between 1 and 10000")
        if self.max_backlog_rate <= 0:
            out.append("max_backlog_rate: must be positive")
        if not 0 < self.batch_wait <= 10:
            out.append("batch_wait: must be between 1ms and 10s")
        if self.reorder_window < 0:
            out.append("reorder_window: must not be negative")
        if not 1 <= self.receive_maximum <= 65535:
            out.append("receive_maximum: must be between 1 and 65535")
        if self.share_group and not SHARE_GROUP.fullmatch(self.share_group):
            out.append("share_group: 1-32 lower-case letters, digits, '_' or '-'")
        return out


PLACE_LEVELS = ("province", "district", "commune")  # largest first, as addresses are read
MAX_PLACE = 80


@dataclass(frozen=True)
class HouseEntry:
    name: str = ""
    # The house's administrative place; filters and totals on the dashboard, /metrics labels
    # and the monthly reports group by these. Empty: not yet placed.
    commune: str = ""
    district: str = ""
    province: str = ""

    def place(self) -> dict[str, str]:
        return {level: getattr(self, level) for level in PLACE_LEVELS}

    def problems(self) -> list[str]:
        # The display name may be anything (the pages escape it); places become labels.
        return [f"{key}: at most {MAX_PLACE} characters of text, on one line"
                for key in PLACE_LEVELS if not _one_line(getattr(self, key))]


def _one_line(text: str) -> bool:
    return (len(text) <= MAX_PLACE and is_text(text)
            and not any(ord(c) < 32 or ord(c) == 127 for c in text))


@dataclass(frozen=True)
class CentralConfig:
    mqtt: MqttConfig = field(default_factory=lambda: MqttConfig(username="central"))
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    # Known houses by id; empty accepts any valid id (the broker's ACL still applies).
    houses: dict[str, HouseEntry] = field(default_factory=dict)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    users: dict[str, UserEntry] = field(default_factory=dict)

    def problems(self) -> list[str]:
        return ([] if not self.ingest.share_group or self.mqtt.protocol != "3.1.1" else [
            "ingest.share_group: needs MQTT 5 ($share); mqtt.protocol is \"3.1.1\""]) + [
            f"houses.{h}: not a valid house id" for h in self.houses
                if not protocol.is_house_id(h)] + [
            f"users.{u}: use 1-32 lower-case letters, digits, '.', '_' or '-'"
            for u in self.users if not USER_NAME.match(u)]


def load(path: str | Path, environ: dict | None = None) -> CentralConfig:
    cfg = load_file(CentralConfig, path)
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        cfg = replace(cfg, mqtt=replace(cfg.mqtt, password=env[PASSWORD_ENV]))
    if env.get(DB_PASSWORD_ENV):
        cfg = replace(cfg, storage=replace(cfg.storage, password=env[DB_PASSWORD_ENV]))
    if not cfg.mqtt.username:
        cfg = replace(cfg, mqtt=replace(cfg.mqtt, username="central"))
    return cfg
