"""Central's configuration: TOML into frozen dataclasses (see config/central.example.toml)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from edge import contract
from edge.config import MqttConfig
from edge.settings import Port, Seconds, load_file

PASSWORD_ENV = "CULTUREHOUSE_CENTRAL_MQTT_PASSWORD"


@dataclass(frozen=True)
class StorageConfig:
    database: str = "/var/lib/culturehouse-central/central.sqlite"


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: Port = 8080
    language: str = "vi"

    def problems(self) -> list[str]:
        return [] if self.language in ("vi", "en") else ["language: must be \"vi\" or \"en\""]


@dataclass(frozen=True)
class IngestConfig:
    batch_size: int = 500
    batch_wait: Seconds = 0.2
    ack_interval: Seconds = 1.0
    max_backlog_rate: float = 5.0  # messages/s each house may use to replay its backlog

    def problems(self) -> list[str]:
        out = []
        if not 1 <= self.batch_size <= 10000:
            out.append("batch_size: must be between 1 and 10000")
        if self.max_backlog_rate <= 0:
            out.append("max_backlog_rate: must be positive")
        return out


@dataclass(frozen=True)
class HouseEntry:
    name: str = ""


@dataclass(frozen=True)
class CentralConfig:
    mqtt: MqttConfig = field(default_factory=lambda: MqttConfig(username="central"))
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    # Known houses by id; empty accepts any valid id (the broker's ACL still applies).
    houses: dict[str, HouseEntry] = field(default_factory=dict)

    def problems(self) -> list[str]:
        return [f"houses.{h}: not a valid house id" for h in self.houses
                if not contract.is_house_id(h)]


def load(path: str | Path, environ: dict | None = None) -> CentralConfig:
    cfg = load_file(CentralConfig, path)
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        cfg = replace(cfg, mqtt=replace(cfg.mqtt, password=env[PASSWORD_ENV]))
    if not cfg.mqtt.username:
        cfg = replace(cfg, mqtt=replace(cfg.mqtt, username="central"))
    return cfg
