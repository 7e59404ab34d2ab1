"""The edge agent's configuration: TOML into frozen dataclasses (see config/edge.example.toml).

Pure: standard library, protocol, common and the features' config modules only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

import protocol
from .printing.config import PrinterConfig
from .scanning.config import ScannerConfig
from .voice.config import VoiceConfig
from common.mqtt_config import MqttConfig
from common.settings import Seconds, load_file
from .wifi.config import WifiConfig

PASSWORD_ENV = "CULTUREHOUSE_MQTT_PASSWORD"


@dataclass(frozen=True)
class HouseConfig:
    id: str = ""
    name: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Literal["vi", "en"] = "vi"

    def problems(self) -> list[str]:
        out = []
        if not protocol.is_house_id(self.id):
            out.append("id: must match [a-z0-9-]{1,32} (and not be \"central\"), "
                       f"got {self.id!r}")
        try:
            from zoneinfo import ZoneInfo
            ZoneInfo(self.timezone)
        except (ValueError, KeyError, OSError):
            out.append(f"timezone: unknown time zone {self.timezone!r}")
        return out


@dataclass(frozen=True)
class TelemetryConfig:
    interval: Seconds = 60
    backlog_rate: float = 5.0  # backlog messages/s at most after an outage (central may ask less)
    full_every: Seconds = 900  # a sample with every metric; those between carry the changes

    def problems(self) -> list[str]:
        out = [] if self.interval >= 1 else ["interval: must be at least 1s"]
        # A divisor of an hour puts a full sample first in every hour (edge/reporting.py).
        if not (60 <= self.full_every <= 3600 and 3600 % self.full_every == 0):
            out.append("full_every: must divide an hour evenly, from 1m to 1h (such as "
                       "\"5m\", \"15m\" or \"1h\")")
        if not 0 < self.backlog_rate <= 1000:
            out.append("backlog_rate: must be between 0 and 1000 messages/s")
        return out


@dataclass(frozen=True)
class StorageConfig:
    state_dir: str = "/var/lib/culturehouse"
    outbox_quota_mb: float = 64.0  # past this, the oldest telemetry is rolled up (events kept)

    def problems(self) -> list[str]:
        return [] if self.outbox_quota_mb >= 1 else ["outbox_quota_mb: must be at least 1"]


@dataclass(frozen=True)
class PanelConfig:
    """GPIO pins (BCM numbers) of the buttons, lights and buzzer; 0 = not fitted."""

    pin_factory: Literal["", "mock", "lgpio", "rpigpio", "pigpio", "native"] = ""
    print_button: int = 0
    scan_button: int = 0
    copy_button: int = 0
    help_button: int = 0
    green_light: int = 0
    amber_light: int = 0
    red_light: int = 0
    help_light: int = 0
    buzzer: int = 0
    long_press: Seconds = 2
    bounce: Seconds = 0.05
    help_timeout: Seconds = 1800  # an open HELP request closes by itself after this

    def problems(self) -> list[str]:
        out = []
        if not 0.1 <= self.long_press <= 30:
            out.append("long_press: must be between 100ms and 30s")
        if not 0 <= self.bounce <= 0.5:
            out.append("bounce: must be between 0 and 500ms")
        if self.help_timeout < 10:
            out.append("help_timeout: must be at least 10s")
        pins = [(name, getattr(self, name)) for name in PANEL_PINS]
        for name, pin in pins:
            if not 0 <= pin <= 53:
                out.append(f"{name}: must be a BCM GPIO number 1-53 (0 = not fitted)")
        used = [p for _n, p in pins if p]
        for pin in sorted({p for p in used if used.count(p) > 1}):
            names = ", ".join(n for n, p in pins if p == pin)
            out.append(f"{names}: share GPIO {pin}")
        return out

    def fitted(self) -> dict[str, int]:
        """The pins fitted on this house's panel, by name ({"print_button": 17, ...})."""
        return {name: getattr(self, name) for name in PANEL_PINS if getattr(self, name)}


# The panel's pin names, spelled once: the `*_button`, `*_light` and `buzzer` fields above.
PANEL_PINS = tuple(f.name for f in fields(PanelConfig)
                   if f.name.endswith(("_button", "_light")) or f.name == "buzzer")
BUTTONS = tuple(name.removesuffix("_button") for name in PANEL_PINS if name.endswith("_button"))
LIGHTS = tuple(name.removesuffix("_light") for name in PANEL_PINS if name.endswith("_light"))


@dataclass(frozen=True)
class EdgeConfig:
    house: HouseConfig = field(default_factory=HouseConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    panel: PanelConfig = field(default_factory=PanelConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    wifi: WifiConfig = field(default_factory=WifiConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)

    @property
    def mqtt_username(self) -> str:
        return self.mqtt.username or self.house.id


def load(path: str | Path, environ: dict | None = None) -> EdgeConfig:
    """Load and validate an edge config; secrets from the environment win."""
    cfg = load_file(EdgeConfig, path)
    env = os.environ if environ is None else environ
    if env.get(PASSWORD_ENV):
        cfg = replace(cfg, mqtt=replace(cfg.mqtt, password=env[PASSWORD_ENV]))
    return cfg
