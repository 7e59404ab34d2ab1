"""[scanner] section of the edge config: device match, presets, delivery, retention, web page.

Pure: standard library and common.settings only; validated by common/settings.py (see config/edge.example.toml).
"""
from __future__ import annotations

import ipaddress
import re
import types
from dataclasses import dataclass, field
from typing import Literal, Mapping

from common.settings import Port, Seconds

PRESET_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
OPTION_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
OCR_LANGUAGE = re.compile(r"^[a-z_]{3,16}(\+[a-z_]{3,16}){0,3}$")
# The house LAN by default: private IPv4 ranges (a house network is one of them) and loopback.
PRIVATE_SUBNETS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")


@dataclass(frozen=True)
class Preset:
    """How one kind of scan is made; matched against the device's options at start-up."""

    source: Literal["flatbed", "feeder"] = "flatbed"
    mode: Literal["gray", "color", "lineart"] = "gray"
    resolution: int = 200
    width_mm: float = 210.0  # A4; clamped to what the device can scan
    height_mm: float = 297.0
    layout: Literal["pages", "id_card"] = "pages"
    more_pages: bool = True  # flatbed: SCAN again within next_page_window adds a page
    jpeg_quality: int = 75
    ocr: bool = False  # make the finished PDF searchable in the background ([scanner.ocr])
    options: dict[str, str] = field(default_factory=lambda: types.MappingProxyType({}))

    def problems(self) -> list[str]:
        out = []
        if not 50 <= self.resolution <= 1200:
            out.append("resolution: must be between 50 and 1200 dpi")
        if not (10 <= self.width_mm <= 500 and 10 <= self.height_mm <= 500):
            out.append("width_mm: width and height must be between 10 and 500 mm")
        if not 20 <= self.jpeg_quality <= 95:
            out.append("jpeg_quality: must be between 20 and 95")
        if self.layout == "id_card" and self.source != "flatbed":
            out.append("layout: id_card needs source = \"flatbed\" (the card is turned by hand)")
        out += [f"options.{k}: backend option names are lower-case words with - or _"
                for k in self.options if not OPTION_NAME.match(k)]
        return out


BUILTIN_PRESETS: Mapping[str, Preset] = types.MappingProxyType({
    "default": Preset(),
    "copy": Preset(more_pages=False),
    "feeder": Preset(source="feeder", more_pages=False),
    # CCCD (citizen ID card) is 85.6 x 54 mm; both sides go onto one A4 page.
    "id_card": Preset(layout="id_card", width_mm=90.0, height_mm=60.0, resolution=300,
                      more_pages=False),
})


@dataclass(frozen=True)
class DeviceMatch:
    """Which scanner to own: by vendor/model (and serial), never by its USB address."""

    vendor: str = ""  # case-insensitive substring of the SANE vendor; "" = any
    model: str = ""  # case-insensitive substring of the SANE model; "" = any
    serial: str = ""  # matched inside the SANE device name, where the backend puts it
    name: str = ""  # exact SANE device name (e.g. "test:1"); only for fixed devices


@dataclass(frozen=True)
class WebConfig:
    """The local scan page on the house LAN."""

    enabled: bool = True
    address: str = "0.0.0.0"
    port: Port = Port(8080)
    allowed_subnets: tuple[str, ...] = PRIVATE_SUBNETS
    # The house PC: sees the list of scans with their pickup codes. () = nobody by address.
    staff_addresses: tuple[str, ...] = ()
    pin: str = field(default="", repr=False)  # staff PIN; "" = none; or env CULTUREHOUSE_SCAN_PIN
    recent: int = 30  # how many scans the staff list shows
    guesses_per_minute: int = 6  # wrong pickup codes the whole LAN may try per minute
    guesses_per_address: int = 3  # ... and one client address
    guesses_per_scan: int = 100  # a code stops working after this many wrong guesses
    idle_timeout: Seconds = Seconds(30)  # a connection without a complete request is closed

    def problems(self) -> list[str]:
        out = []
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            out.append(f"address: not an IP address: {self.address!r}")
        for i, net in enumerate(self.allowed_subnets):
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                out.append(f"allowed_subnets[{i}]: not a subnet such as 192.168.1.0/24: {net!r}")
        if not self.allowed_subnets:
            out.append("allowed_subnets: must list at least one subnet")
        for i, addr in enumerate(self.staff_addresses):
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                out.append(f"staff_addresses[{i}]: not an IP address such as 192.168.1.10: "
                           f"{addr!r}")
        if not 1 <= self.guesses_per_minute <= 60:
            out.append("guesses_per_minute: must be between 1 and 60")
        if not 1 <= self.guesses_per_address <= self.guesses_per_minute:
            out.append("guesses_per_address: must be between 1 and guesses_per_minute")
        if not 10 <= self.guesses_per_scan <= 1000:
            out.append("guesses_per_scan: must be between 10 and 1000")
        if not 2 <= self.idle_timeout <= 600:
            out.append("idle_timeout: must be between 2s and 10m")
        if self.pin and not re.fullmatch(r"\d{4,8}", self.pin):
            out.append("pin: must be 4 to 8 digits")
        if not 1 <= self.recent <= 200:
            out.append("recent: must be between 1 and 200")
        return out


@dataclass(frozen=True)
class OcrConfig:
    """Searchable scans (presets with ocr = true): how ocrmypdf runs on the Pi."""

    language: str = "vie"  # Tesseract languages, e.g. "vie" or "vie+eng"
    deskew: bool = True
    timeout: Seconds = Seconds(600)  # one scan; past it the original stays as it is
    queue_limit: int = 4  # scans waiting for OCR; more are left image-only
    nice: int = 19  # CPU priority of ocrmypdf and Tesseract (19 = lowest)

    def problems(self) -> list[str]:
        out = []
        if not OCR_LANGUAGE.match(self.language):
            out.append(f"language: {self.language!r} is not Tesseract languages such as "
                       f"\"vie\" or \"vie+eng\"")
        if not 10 <= self.timeout <= 3600:
            out.append("timeout: must be between 10s and 1h")
        if not 1 <= self.queue_limit <= 20:
            out.append("queue_limit: must be between 1 and 20")
        if not 0 <= self.nice <= 19:
            out.append("nice: must be between 0 and 19")
        return out


@dataclass(frozen=True)
class ScannerConfig:
    enabled: bool = False
    device: DeviceMatch = field(default_factory=DeviceMatch)
    scan_preset: str = "default"  # what the SCAN button scans
    copy_preset: str = "copy"  # what the COPY button scans before printing
    presets: dict[str, Preset] = field(default_factory=lambda: types.MappingProxyType({}))
    output_dir: str = ""  # "" = <state_dir>/scans; may be a share mounted from the house PC
    retention: Seconds = Seconds(7200)
    copy_retention: Seconds = Seconds(600)
    queue_limit: int = 1  # jobs that may wait while one scans
    next_page_window: Seconds = Seconds(15)
    id_card_window: Seconds = Seconds(60)
    fault_display: Seconds = Seconds(120)
    rescan_interval: Seconds = Seconds(5)
    web: WebConfig = field(default_factory=WebConfig)
    ocr: OcrConfig = field(default_factory=OcrConfig)

    @property
    def all_presets(self) -> Mapping[str, Preset]:
        """Built-in presets overlaid with the configured ones (same name wins)."""
        return types.MappingProxyType({**BUILTIN_PRESETS, **self.presets})

    def problems(self) -> list[str]:
        out = [f"presets.{name}: preset names are lower-case words (a-z, 0-9, _)"
               for name in self.presets if not PRESET_NAME.match(name)]
        for key in ("scan_preset", "copy_preset"):
            name = getattr(self, key)
            if name not in self.all_presets:
                known = ", ".join(sorted(self.all_presets))
                out.append(f"{key}: no preset named {name!r} (known: {known})")
        if not 0 <= self.queue_limit <= 5:
            out.append("queue_limit: must be between 0 and 5")
        if self.retention < 60:
            out.append("retention: must be at least 1m")
        if not 10 <= self.copy_retention <= self.retention:
            out.append("copy_retention: must be between 10s and retention")
        for key in ("next_page_window", "id_card_window"):
            if not 3 <= getattr(self, key) <= 600:
                out.append(f"{key}: must be between 3s and 10m")
        if not 1 <= self.rescan_interval <= 600:
            out.append("rescan_interval: must be between 1s and 10m")
        return out
