"""A private NATS cluster (JetStream + MQTT 3.1.1) on 127.0.0.1: the clustered broker we
support beside mosquitto (docs/scale.md says why). Every node has its own temp dir, client,
cluster and MQTT ports; nodes are stopped (or killed, for chaos tests) by their own pid."""
from __future__ import annotations

import re
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

from .procs import LOOPBACK, Proc, free_port, wait_for, wait_for_port

REPO = Path(__file__).resolve().parent.parent


@dataclass
class NatsNode:
    name: str
    dir: Path
    client_port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    proc: Proc | None = None

    def shipped_config(self, routes: list[int], conf_dir: Path) -> str:
        """config/nats/node.conf as shipped, with this node's name, loopback ports and
        temp paths; users.conf (included relative to it) is copied beside it unchanged."""
        shutil.copy(conf_dir / "users.conf", self.dir / "users.conf")
        text = (REPO / "config" / "nats" / "node.conf").read_text()
        route_lines = "\n".join(f'    "nats-route://{LOOPBACK}:{p}"' for p in routes)
        swaps = [(r"server_name: \S+", f"server_name: {self.name}"),
                 (r"listen: 127\.0\.0\.1:4222", f"listen: {LOOPBACK}:{self.client_port}"),
                 (r'store_dir: "[^"]*"', f'store_dir: "{self.dir / "js"}"'),
                 (r"listen: 0\.0\.0\.0:6222", f"listen: {LOOPBACK}:{self.cluster_port}"),
                 (r"routes: \[[^\]]*\]", f"routes: [\n{route_lines}\n  ]"),
                 (r"listen: 0\.0\.0\.0:1883", f"listen: {LOOPBACK}:{self.mqtt_port}")]
        for pattern, replacement in swaps:
            text, n = re.subn(pattern, lambda _m, r=replacement: r, text)
            assert n == 1, f"config/nats/node.conf no longer has {pattern!r}"
        return text

    def config(self, routes: list[int]) -> str:
        route_urls = ", ".join(f'"nats-route://{LOOPBACK}:{p}"' for p in routes)
        return "\n".join([
            f"server_name: {self.name}",
            f"listen: {LOOPBACK}:{self.client_port}",
            f'jetstream {{ store_dir: "{self.dir / "js"}" }}',
            f"cluster {{ name: culturehouse, listen: {LOOPBACK}:{self.cluster_port}, "
            f"routes: [{route_urls}] }}",
            # Sessions, retained messages and queued QoS 1 messages on every node, so any
            # one node may die (a quorum of 2 of 3 remains).
            f"mqtt {{ listen: {LOOPBACK}:{self.mqtt_port}, stream_replicas: 3, "
            "consumer_replicas: 3 }}",
            "max_payload: 1MB",
        ]) + "\n"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()


class NatsCluster:
    """`size` nodes routed to each other; `ready` when JetStream has a leader and every
    node's MQTT listener answers."""

    def __init__(self, workdir: Path, size: int = 3, shipped: bool = False,
                 env: dict | None = None):
        self.workdir = Path(workdir)
        self.shipped, self.env = shipped, env  # env: the passwords users.conf names
        self.nodes = [NatsNode(f"n{i + 1}", self.workdir / f"n{i + 1}") for i in range(size)]

    @property
    def mqtt_ports(self) -> list[int]:
        return [n.mqtt_port for n in self.nodes]

    def start(self) -> "NatsCluster":
        for node in self.nodes:
            self.start_node(node, wait=False)
        for node in self.nodes:
            wait_for_port(node.mqtt_port, 30, proc=node.proc.popen)
        # MQTT sessions and retained messages live in JetStream: wait for its meta leader.
        wait_for(lambda: any("JetStream cluster new metadata leader" in n.proc.output()
                             or "Self is new JetStream cluster metadata leader"
                             in n.proc.output() for n in self.nodes),
                 60, interval=0.2, what="a JetStream metadata leader")
        return self

    def start_node(self, node: NatsNode, wait: bool = True) -> None:
        binary = shutil.which("nats-server") or "/usr/bin/nats-server"
        node.dir.mkdir(parents=True, exist_ok=True)
        conf = node.dir / "nats.conf"
        routes = [n.cluster_port for n in self.nodes if n is not node]
        conf.write_text(node.shipped_config(routes, REPO / "config" / "nats") if self.shipped
                        else node.config(routes))
        node.proc = Proc([binary, "-c", str(conf)], node.dir / "nats.log", env=self.env)
        if wait:
            wait_for_port(node.mqtt_port, 30, proc=node.proc.popen)

    def kill(self, node: NatsNode) -> None:
        """A node's power cut: SIGKILL, no goodbye to clients or routes."""
        node.proc.signal(signal.SIGKILL)
        node.proc.stop()

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc:
                node.proc.stop()

    def logs(self) -> str:
        return "".join(n.proc.output() for n in self.nodes if n.proc)
