"""sd_notify on a real AF_UNIX datagram socket: READY, WATCHDOG while healthy, STOPPING."""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge import config as edge_cfg
from edge.agent import Agent
from edge.feature import Feature
from common.sdnotify import SystemdNotifier
from harness.edgeproc import start_edge
from harness.procs import wait_for

WATCHDOG_USEC = 200_000  # pings every 0.1 s


def load_config(path):
    return edge_cfg.load(path, environ={})


class NotifySocket:
    """The receiving end systemd would hold; a short path (sun_path is 108 bytes)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ch-n-"))
        self.path = str(self.dir / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received: list[str] = []

    def drain(self, timeout: float = 0.0) -> list[str]:
        """Messages that arrive within `timeout` (0: only those already queued)."""
        self.sock.settimeout(timeout or None)
        if not timeout:
            self.sock.setblocking(False)
        new = []
        try:
            while True:
                new.append(self.sock.recv(4096).decode())
                if timeout:
                    break
        except (BlockingIOError, socket.timeout):
            pass
        self.received += new
        return new

    def wait_for(self, message: str, timeout: float = 15.0) -> None:
        wait_for(lambda: message in self.drain(0.2) or message in self.received, timeout,
                 what=f"{message} on NOTIFY_SOCKET")

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def notify_socket():
    s = NotifySocket()
    yield s
    s.close()


def test_agent_process_sends_ready_then_watchdog_then_stopping(edge_config, tmp_path,
                                                               notify_socket):
    env = {**os.environ, "NOTIFY_SOCKET": notify_socket.path,
           "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    proc = start_edge(edge_config(), tmp_path / "edge.log", env=env)
    try:
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1")
        assert notify_socket.received.index("READY=1") < notify_socket.received.index(
            "WATCHDOG=1")
    finally:
        code = proc.stop(timeout=15)
    notify_socket.drain()
    assert notify_socket.received[-1] == "STOPPING=1", proc.output()[-2000:]
    assert code == 0


@dataclass(frozen=True)
class Block:
    pass


class StuckFeature(Feature):
    """Blocks the agent's main loop inside handle() until released."""

    name = "stuck"
    items = (Block,)

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def handle(self, item, now):
        if not isinstance(item, Block):
            return False
        self.entered.set()
        self.release.wait(30)
        return True


def test_watchdog_pings_stop_while_the_main_loop_is_stuck(edge_config, notify_socket):
    agent = Agent(load_config(edge_config()))
    stuck = StuckFeature()
    agent.features.append(stuck)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.path,
                                "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    thread = threading.Thread(target=agent.run, kwargs={"ready": notifier.ready,
                                                        "watchdog": notifier.watchdog},
                              daemon=True)
    thread.start()
    try:
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1")
        agent.post(Block())
        assert stuck.entered.wait(10)
        notify_socket.drain()  # pings sent before the loop got stuck
        # Ten ping periods with the loop stuck: systemd would now see the watchdog lapse.
        assert notify_socket.drain(timeout=1.0) == []
        stuck.release.set()
        notify_socket.received.clear()
        notify_socket.wait_for("WATCHDOG=1")
    finally:
        stuck.release.set()
        agent.request_stop("test over")
        thread.join(10)


def test_watchdog_meant_for_another_process_is_not_pinged(notify_socket):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.path,
                                "WATCHDOG_USEC": str(WATCHDOG_USEC),
                                "WATCHDOG_PID": str(os.getpid() + 1)})
    notifier.watchdog()
    notifier.ready()
    assert notify_socket.drain(timeout=0.5) == ["READY=1"]


def test_no_watchdog_ping_follows_stopping(notify_socket):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.path, "WATCHDOG_USEC": "2"})
    notifier.stopping()
    notifier.watchdog()  # the pass under way when SIGTERM came ends with a ping
    assert notify_socket.drain(timeout=0.5) == ["STOPPING=1"]


def test_first_watchdog_ping_is_sent_at_once(notify_socket):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.path, "WATCHDOG_USEC": "60000000"})
    notifier.watchdog()
    notifier.watchdog()  # the second comes too soon: 30 s have not passed
    assert notify_socket.drain(timeout=0.5) == ["WATCHDOG=1"]
    assert notify_socket.drain(timeout=0.2) == []


def test_abstract_socket_address_is_understood():
    name = f"ch-notify-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).status("printer ready")
        assert sock.recv(4096) == b"STATUS=printer ready"


def test_without_notify_socket_nothing_is_sent_and_nothing_fails():
    notifier = SystemdNotifier({})
    notifier.ready()
    notifier.watchdog()
    notifier.stopping()
    assert notifier.watchdog_every is None
