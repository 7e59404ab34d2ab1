"""Simulated citizens for the demo: phones join the Wi-Fi, papers are printed and scanned,
someone asks for help. Everything goes through the real paths: CUPS jobs through the
private cupsd, button presses as the `press` command a technician would send, Wi-Fi
through a fake hostapd control socket per house.
"""
from __future__ import annotations

import logging
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

import cups
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image

import protocol

from .fakehostapd import FakeHostapd
from .procs import LOOPBACK

log = logging.getLogger(__name__)


def random_phone_mac(rng: random.Random) -> str:
    """A locally administered (randomised) MAC, as modern phones use: synthetic data."""
    first = (rng.randrange(256) & 0xFC) | 0x02
    return ":".join(f"{b:02x}" for b in [first, *(rng.randrange(256) for _ in range(5))])


def make_pdf(path: Path, pages: int) -> Path:
    sheets = [Image.new("L", (595, 842), 255) for _ in range(pages)]
    sheets[0].save(path, save_all=True, append_images=sheets[1:])
    return path


class DemoActivity:
    def __init__(self, houses: list[str], broker_port: int, cups_server: str,
                 queues: dict[str, str], hostapds: dict[str, FakeHostapd], seed: int = 7):
        self.houses = houses
        self.queues = queues
        self.hostapds = hostapds
        self.cups_server = cups_server
        self.rng = random.Random(seed)
        self.topics = protocol.Topics()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-citizens")
        self.client.connect(LOOPBACK, broker_port, 60)
        self.client.loop_start()
        self.pdfs = Path(tempfile.mkdtemp(prefix="ch-demo-pdf-"))
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="demo-citizens", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.client.loop_stop()
        self.client.disconnect()

    def press(self, house: str, button: str, seconds: float = 0.2) -> None:
        payload = protocol.build_command(protocol.Command(
            "press", uuid.uuid4().hex, int((time.time() + 60) * 1000),
            {"button": button, "seconds": seconds}))
        self.client.publish(self.topics.cmd(house, "press"), payload, qos=1)

    def print_papers(self, house: str) -> None:
        pages = self.rng.choice([1, 1, 2, 3])
        pdf = make_pdf(self.pdfs / f"{pages}.pdf", pages)
        cups.setServer(self.cups_server)
        cups.Connection().printFile(self.queues[house], str(pdf), "demo", {})

    def wifi_step(self, house: str) -> None:
        hostapd = self.hostapds.get(house)
        if hostapd is None:
            return
        present = list(hostapd.stations)
        if present and self.rng.random() < 0.4:
            hostapd.leave(self.rng.choice(present))
        elif len(present) < 12:
            mac = random_phone_mac(self.rng)
            hostapd.associate(mac)

    def _run(self) -> None:
        pending_release: list[tuple[float, str]] = []
        while not self._stop.wait(self.rng.uniform(1.0, 3.0)):
            try:
                house = self.rng.choice(self.houses)
                roll = self.rng.random()
                if roll < 0.45:
                    self.wifi_step(house)
                elif roll < 0.65:
                    self.print_papers(house)
                    pending_release.append((time.monotonic() + self.rng.uniform(3, 10), house))
                elif roll < 0.8:
                    self.press(house, "scan")
                elif roll < 0.88:
                    self.press(house, "copy")
                elif roll < 0.9:
                    self.press(house, "help")
                now = time.monotonic()
                for due, who in [p for p in pending_release if p[0] <= now]:
                    pending_release.remove((due, who))
                    self.press(who, "print")
            except (cups.IPPError, RuntimeError, OSError) as exc:
                log.warning("demo activity hiccup: %s", exc)


def start_hostapds(root: Path, houses: list[str]) -> dict[str, FakeHostapd]:
    """One fake hostapd control directory per house, with a couple of phones already on."""
    out = {}
    rng = random.Random(3)
    for house in houses:
        ctrl = root / house
        ctrl.mkdir(parents=True, exist_ok=True)
        hostapd = FakeHostapd(ctrl).start()
        for _ in range(rng.randrange(1, 4)):
            hostapd.associate(random_phone_mac(rng))
        out[house] = hostapd
    return out

