"""How a daemon reaches the broker: the `[mqtt]` table both edge and central use."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from protocol import DEFAULT_ROOT

from .settings import Port, Seconds


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: Port = 1883
    username: str = ""  # default: the house id
    password: str = field(default="", repr=False)  # or env CULTUREHOUSE_MQTT_PASSWORD
    topic_root: str = DEFAULT_ROOT
    keepalive: Seconds = 60.0
    tls: bool = False
    ca_file: str = ""
    reconnect_min: Seconds = 1
    reconnect_max: Seconds = 300

    def problems(self) -> list[str]:
        out = []
        if not self.host:
            out.append("host: must not be empty")
        if not 5 <= self.keepalive <= 3600:
            out.append("keepalive: must be between 5s and 1h")
        if self.tls and self.ca_file and not Path(self.ca_file).is_file():
            out.append(f"ca_file: {self.ca_file} does not exist")
        if self.reconnect_min <= 0 or self.reconnect_max < self.reconnect_min:
            out.append("reconnect_max: must be at least reconnect_min (> 0)")
        if not self.topic_root or "#" in self.topic_root or "+" in self.topic_root:
            out.append("topic_root: must be a plain topic prefix without wildcards")
        return out
