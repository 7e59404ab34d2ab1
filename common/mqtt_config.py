"""How a daemon reaches the broker: the `[mqtt]` table both edge and central use."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
    # Further nodes of a broker cluster ("host:port"), tried in turn after `host` fails.
    brokers: tuple[str, ...] = ()
    # "default": the role's own choice (houses 3.1.1, central 5). "3.1.1" for brokers that
    # speak only that (RabbitMQ's and NATS's MQTT); "5" where the broker offers it.
    protocol: Literal["default", "5", "3.1.1"] = "default"

    def addresses(self) -> list[tuple[str, int]]:
        """Every broker address, `host:port` first; then `brokers` in the order given."""
        return [(self.host, self.port)] + [a for a in map(broker_address, self.brokers) if a]

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
        out += [f"brokers: {b!r} is not host:port (port 1-65535)"
                for b in self.brokers if broker_address(b) is None]
        if len(self.brokers) > 15:
            out.append("brokers: at most 15 further addresses")
        return out


def broker_address(text: str) -> tuple[str, int] | None:
    """"host:port" or "[v6 address]:port" into (host, port); None when it is neither."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 \
            or any(c.isspace() or c in "/[]" for c in host) or len(host) > 253:
        return None
    return host, int(port)
