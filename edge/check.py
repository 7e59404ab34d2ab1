"""`culturehouse-edge check`: one screen a technician can act on, in Vietnamese or English.

The probes no feature owns (broker, GPIO pins, disk, clock) come from common/checks.py;
printer, scanner and Wi-Fi lines come from each feature's own check().
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Callable, TextIO

from common.checks import (MIN_FREE_MB, CheckLine, ClockReading, assess_clock, broker_line,
                           check_disk, check_line, config_line, exit_code, load_for_check,
                           probe_broker, quiet_libraries, read_clock, render_json, render_text)
from common.i18n import phrase


def run(config_path: str | Path, *, as_json: bool = False, out: TextIO | None = None,
        environ: dict | None = None, pin_factory=None,
        clock: Callable[[], ClockReading] = read_clock, build_features=None,
        min_free_mb: int = MIN_FREE_MB, broker_timeout: float = 8.0) -> int:
    """Run every edge check, print the report and return the exit code."""
    from . import config as edge_config
    quiet_libraries()
    out = out or sys.stdout
    path = Path(config_path)
    cfg = load_for_check(edge_config.load, path, environ, "house", "culturehouse-edge check",
                         "edge.example.toml", as_json, out)
    if cfg is None:
        return 2
    lang = cfg.house.language
    lines = [config_line(path)]
    result = probe_broker(cfg.mqtt, cfg.mqtt_username, f"culturehouse-{cfg.house.id}-check",
                          broker_timeout)
    lines.append(broker_line(result, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt_username,
                             str(path.with_suffix(".env"))))
    lines += check_features(cfg, pin_factory, build_features)
    lines += check_pins(cfg.panel, pin_factory)
    lines.append(check_disk("disk", Path(cfg.storage.state_dir), min_free_mb))
    lines.append(assess_clock(clock()))
    title = f"culturehouse-edge check — {cfg.house.id}" + (f" ({cfg.house.name})"
                                                           if cfg.house.name else "")
    out.write(render_json({"house": cfg.house.id, "config": str(path)}, lines, lang) if as_json
              else render_text(title, lines, lang))
    return exit_code(lines)


FEATURES = {"printer": "check.feature.printer", "scanner": "check.feature.scanner",
            "wifi": "check.feature.wifi"}  # config section -> the feature's name in the report


def check_features(cfg, pin_factory=None, build_features=None) -> list[CheckLine]:
    """Each enabled feature built alone (not started) and asked for its own check lines."""
    from .feature import FeatureContext
    if build_features is None:
        from .agent import build_features
    lines = []
    for section, name_key in FEATURES.items():
        label = phrase(name_key)
        if not getattr(cfg, section).enabled:
            lines.append(check_line(section, None, "check.feature.disabled",
                                    "check.feature.disabled.fix", feature=label,
                                    section=section))
            continue
        only = dataclasses.replace(cfg, panel=dataclasses.replace(cfg.panel, help_button=0), **{
            name: dataclasses.replace(getattr(cfg, name), enabled=(name == section))
            for name in FEATURES})
        ctx = FeatureContext(cfg.house.id, Path(cfg.storage.state_dir), lambda item: None,
                             lambda kind, data: None, pin_factory)
        try:
            found = [line for feature in build_features(only, ctx) for line in feature.check()]
        except Exception as exc:  # any failure to load is the finding itself
            lines.append(check_line(section, False, "check.feature.broken",
                                    "check.feature.broken.fix", feature=label,
                                    error=f"{type(exc).__name__}: {exc}"))
            continue
        if not found:
            lines.append(check_line(section, None, "check.feature.unchecked",
                                    "check.feature.unchecked.fix", feature=label))
        lines += found
    return lines


PANEL_PINS = ("print_button", "scan_button", "copy_button", "help_button", "green_light",
              "amber_light", "red_light", "help_light", "buzzer")


def check_pins(panel, pin_factory=None) -> list[CheckLine]:
    """Every configured panel pin distinct and claimable right now through gpiozero."""
    used = [(getattr(panel, name), name) for name in PANEL_PINS if getattr(panel, name)]
    if not used:
        return [check_line("gpio", None, "check.gpio.none", "check.gpio.none.fix")]
    lines = []
    owners: dict[int, str] = {}
    for pin, name in used:
        if pin in owners:
            lines.append(check_line("gpio", False, "check.gpio.shared", "check.gpio.shared.fix",
                                    pin=pin, first=owners[pin], second=name))
        owners.setdefault(pin, name)
    try:
        from gpiozero import Button, DigitalOutputDevice
        from .panel import make_pin_factory
        factory = pin_factory if pin_factory is not None else make_pin_factory(panel.pin_factory)
    except Exception as exc:
        return lines + [check_line("gpio", False, "check.gpio.unavailable", "check.gpio.fix",
                                   error=exc)]
    for pin, name in owners.items():
        try:
            device = (Button(pin, pull_up=True, pin_factory=factory) if "button" in name
                      else DigitalOutputDevice(pin, pin_factory=factory))
            device.close()
        except Exception as exc:  # gpiozero and lgpio raise many kinds; all mean "not usable"
            lines.append(check_line("gpio", False, "check.gpio.busy", "check.gpio.fix", pin=pin,
                                    name=name, error=f"{type(exc).__name__}: {exc}"))
    if not any(line.ok is False for line in lines):
        lines.append(check_line("gpio", True, "check.gpio.ok",
                                pins=", ".join(str(p) for p in owners)))
    if pin_factory is None and factory is not None:
        factory.close()
    return lines
