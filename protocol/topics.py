"""Topic names: the only place a topic string is formatted or split. Standard library only.
Pure: standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass

from .bounds import COMMAND_NAME, DEFAULT_ROOT, KINDS, PayloadError, is_house_id


@dataclass(frozen=True)
class Topics:
    """Topic names under one root (default culturehouse/v1)."""

    root: str = DEFAULT_ROOT

    def status(self, house: str) -> str:
        return f"{self.root}/{house}/status"

    def telemetry(self, house: str) -> str:
        return f"{self.root}/{house}/telemetry"

    def event(self, house: str) -> str:
        return f"{self.root}/{house}/event"

    def history(self, house: str) -> str:
        return f"{self.root}/{house}/history"

    def cmd(self, house: str, name: str) -> str:
        return f"{self.root}/{house}/cmd/{name}"

    def cmd_result(self, house: str) -> str:
        return f"{self.root}/{house}/cmd_result"

    def ack(self, house: str) -> str:
        return f"{self.root}/{house}/ack"

    def central_status(self) -> str:
        return f"{self.root}/central/status"

    def central_alerts(self) -> str:
        """Central's open alerts, retained (for other tools and a second dashboard)."""
        return f"{self.root}/central/alerts"

    def edge_subscriptions(self, house: str) -> list[str]:
        """What an edge agent subscribes to (its own commands and ack, central's status)."""
        return [f"{self.root}/{house}/cmd/+", self.ack(house), self.central_status()]

    def central_subscriptions(self, share_group: str = "") -> list[str]:
        """What a collector subscribes to: everything houses send up.

        With `share_group`, several collectors split the rows (telemetry, events, history)
        through an MQTT 5 shared subscription, while each still gets every house status
        (retained messages never reach a shared subscription), every command result (only
        the collector that sent a command knows its request) and central's own status (a
        collector that sees another's will says again that central is online)."""
        if not share_group:
            return [f"{self.root}/+/{kind}" for kind in ("status", "telemetry", "event",
                                                              "history", "cmd_result")]
        shared = [f"$share/{share_group}/{self.root}/+/{kind}"
                  for kind in ("telemetry", "event", "history")]
        return shared + [f"{self.root}/+/status", f"{self.root}/+/cmd_result",
                         self.central_status()]

    def parse(self, topic: str) -> tuple[str, str, str | None]:
        """Split a topic into (house, kind, command name or None); PayloadError if foreign."""
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            raise PayloadError("bad_topic", "outside the topic root")
        parts = topic[len(prefix):].split("/")
        if parts[0] == "central":
            return "central", parts[1] if len(parts) > 1 else "", None
        if not is_house_id(parts[0]):
            raise PayloadError("bad_house", "house id does not match [a-z0-9-]{1,32}")
        if len(parts) == 3 and parts[1] == "cmd" and COMMAND_NAME.match(parts[2]):
            return parts[0], "cmd", parts[2]
        if len(parts) == 2 and parts[1] in KINDS and parts[1] != "cmd":
            return parts[0], parts[1], None
        raise PayloadError("bad_topic", "unknown topic kind")

