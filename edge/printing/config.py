"""[printer] section of the edge config: the CUPS queue, print release and self-healing.

Pure: standard library and common.settings only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from common.settings import Seconds

# Base printer-state-reasons keywords (suffix -error/-warning/-report stripped) that
# block a release: printing now would only stall the job with nobody to fix it.
DEFAULT_BLOCK_ON = ("media-empty", "media-needed", "media-jam", "cover-open", "door-open",
                    "input-tray-missing", "marker-supply-empty", "toner-empty",
                    "marker-waste-full", "offline")
_QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,127}$")
_KEYWORD = re.compile(r"^[a-z0-9-]{1,64}$")


@dataclass(frozen=True)
class PrinterConfig:
    enabled: bool = False
    queue: str = "house"  # the CUPS queue name citizens print to
    server: str = ""  # "" = CUPS_SERVER or the local scheduler; "host:port" or a socket path
    release: Literal["oldest", "origin"] = "oldest"
    origin_window: Seconds = Seconds(600)
    hold_expiry: Seconds = Seconds(7200)
    block_on: tuple[str, ...] = DEFAULT_BLOCK_ON
    poll_interval: Seconds = Seconds(3)
    notify_interval: Seconds = Seconds(0.5)
    subscribe: bool = True
    probe_printer: bool = True
    self_heal: bool = True
    heal_interval: Seconds = Seconds(30)
    share_on_lan: bool = False  # phones on the house Wi-Fi print here (IPP Everywhere/AirPrint)

    def problems(self) -> list[str]:
        out = []
        if not _QUEUE.match(self.queue):
            out.append(f"queue: {self.queue!r} is not a CUPS queue name (letters, digits, _ . -)")
        for name in ("poll_interval", "notify_interval", "heal_interval"):
            if getattr(self, name) < 0.05:
                out.append(f"{name}: must be at least 50ms")
        if self.hold_expiry < 60:
            out.append("hold_expiry: must be at least 1m")
        if self.release == "origin" and self.origin_window <= 0:
            out.append("origin_window: must be positive with release = \"origin\"")
        for word in self.block_on:
            if not _KEYWORD.match(word) or word.endswith(("-error", "-warning", "-report")):
                out.append(f"block_on: {word!r} must be a base keyword such as \"media-empty\"")
        return out
