"""`culturehouse-edge check`: one screen a technician can act on, in Vietnamese or English.

The probes no feature owns (broker, GPIO pins, disk, clock) come from common/checks.py;
printer, scanner and Wi-Fi lines come from each registered feature's own check(), the
voice's from edge/voice/check.py.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Mapping, TextIO

from common.checks import (MIN_FREE_MB, CheckLine, assess_clock, broker_line, check_disk,
                           check_line, config_line, exit_code, load_for_check, probe_broker,
                           quiet_libraries, render_json, render_text)
from common.clock import ClockReading, read_clock
from common.i18n import phrase

from .liveness import agent_running, read_link_state


def run(config_path: str | Path, *, as_json: bool = False, out: TextIO | None = None,
        environ: dict | None = None, pin_factory=None,
        clock: Callable[[], ClockReading] = read_clock, features: Mapping | None = None,
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
    lines.append(check_broker(cfg, path, broker_timeout))
    lines += check_features(cfg, pin_factory, features)
    lines += check_pins(cfg.panel, pin_factory)
    from .voice.check import check_voice
    lines += check_voice(cfg.voice, Path(cfg.storage.state_dir), lang)
    lines.append(check_disk("disk", Path(cfg.storage.state_dir), min_free_mb))
    lines.append(assess_clock(clock()))
    title = f"culturehouse-edge check — {cfg.house.id}" + (f" ({cfg.house.name})"
                                                           if cfg.house.name else "")
    out.write(render_json({"house": cfg.house.id, "config": str(path)}, lines, lang) if as_json
              else render_text(title, lines, lang))
    return exit_code(lines)


def check_broker(cfg, path: Path, timeout: float) -> CheckLine:
    """The running agent's own connection, if it runs: logging in with the house's user
    name would take over its session (the broker binds client ids to user names)."""
    state_dir = Path(cfg.storage.state_dir)
    where = f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    if agent_running(state_dir):
        state = read_link_state(state_dir) or {"connected": False, "since": 0}
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(state["since"]))
        if state["connected"]:
            return check_line("broker", True, "check.broker.agent_connected", where=where,
                              user=cfg.mqtt_username, since=since)
        return check_line("broker", False, "check.broker.agent_disconnected",
                          "check.broker.unreachable.fix", where=where, since=since)
    result = probe_broker(cfg.mqtt, cfg.mqtt_username, cfg.mqtt_username, timeout)
    return broker_line(result, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt_username,
                       str(path.with_suffix(".env")))


def check_features(cfg, pin_factory=None, features: Mapping | None = None) -> list[CheckLine]:
    """Each enabled feature of the registry built alone (not started) and asked for its own
    check lines; `features` replaces the registry in tests."""
    from .feature import FeatureContext
    from .registry import FEATURES
    ctx = FeatureContext(cfg.house.id, Path(cfg.storage.state_dir), lambda item: None,
                         lambda kind, data: None, pin_factory)
    lines = []
    for entry in (FEATURES if features is None else features).values():
        section = entry.section
        if not section:
            continue
        label = phrase(entry.label)
        if not entry.is_enabled(cfg):
            lines.append(check_line(section, None, "check.feature.disabled",
                                    "check.feature.disabled.fix", feature=label,
                                    section=section))
            continue
        try:
            found = list(entry.build(cfg, ctx).check())
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


def check_pins(panel, pin_factory=None) -> list[CheckLine]:
    """Every configured panel pin distinct and claimable right now through gpiozero."""
    used = [(pin, name) for name, pin in panel.fitted().items()]
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
            device = (Button(pin, pull_up=True, pin_factory=factory) if name.endswith("_button")
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
