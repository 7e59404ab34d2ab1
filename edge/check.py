"""`culturehouse-edge check`: one screen a technician can act on, in Vietnamese or English.

The probes no feature owns (broker, GPIO pins, disk, clock) come from common/checks.py;
printer, scanner and Wi-Fi lines come from each registered feature's own check().
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Mapping, TextIO

from common.checks import (MIN_FREE_MB, CheckLine, assess_clock, broker_line, check_disk, config_line, exit_code, load_for_check,
                       probe_broker, quiet_libraries, render_json, render_text, t)
from common.clock import ClockReading, read_clock


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
                         as_json, out)
    if cfg is None:
        return 2
    lang = cfg.house.language
    lines = [config_line(path, lang)]
    result = probe_broker(cfg.mqtt, cfg.mqtt_username, f"culturehouse-{cfg.house.id}-check",
                          broker_timeout)
    lines.append(broker_line(result, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt_username,
                             str(path.with_suffix(".env")), lang))
    lines += check_features(cfg, lang, pin_factory, features)
    lines += check_pins(cfg.panel, lang, pin_factory)
    lines.append(check_disk("disk", Path(cfg.storage.state_dir), lang, min_free_mb))
    lines.append(assess_clock(clock(), lang))
    title = f"culturehouse-edge check — {cfg.house.id}" + (f" ({cfg.house.name})"
                                                           if cfg.house.name else "")
    out.write(render_json({"house": cfg.house.id, "config": str(path)}, lines) if as_json
              else render_text(title, lines, lang))
    return exit_code(lines)


def check_features(cfg, lang: str, pin_factory=None,
                   features: Mapping | None = None) -> list[CheckLine]:
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
        label = t(lang, *entry.label)
        if not entry.is_enabled(cfg):
            lines.append(CheckLine(section, None, t(lang, f"{label}: not enabled in the config",
                                                    f"{label}: chưa bật trong cấu hình"),
                                   t(lang, f"set [{section}] enabled = true if the house has one",
                                     f"đặt [{section}] enabled = true nếu nhà văn hóa có")))
            continue
        try:
            found = list(entry.build(cfg, ctx).check())
        except Exception as exc:  # any failure to load is the finding itself
            lines.append(CheckLine(section, False, t(
                lang, f"{label}: cannot be set up ({type(exc).__name__}: {exc})",
                f"{label}: không khởi tạo được ({type(exc).__name__}: {exc})"), t(
                lang, "reinstall with `sudo ./install.sh edge`; see "
                      "`journalctl -u culturehouse-edge`",
                "cài lại bằng `sudo ./install.sh edge`; xem `journalctl -u culturehouse-edge`")))
            continue
        if not found:
            lines.append(CheckLine(section, None, t(
                lang, f"{label}: not checked (this version has no self-check for it)",
                f"{label}: chưa kiểm tra (phiên bản này chưa tự kiểm tra được)"), t(
                lang, "test by hand: print, scan or connect a phone",
                "thử bằng tay: in, quét hoặc kết nối điện thoại")))
        lines += [CheckLine(f"{section}.{i}", bool(ok), str(what), str(fix or ""))
                  for i, (what, ok, fix) in enumerate(found)]
    return lines


def check_pins(panel, lang: str, pin_factory=None) -> list[CheckLine]:
    """Every configured panel pin distinct and claimable right now through gpiozero."""
    used = [(pin, name) for name, pin in panel.fitted().items()]
    if not used:
        return [CheckLine("gpio", None, t(lang, "GPIO: no panel pins in the config",
                                          "GPIO: cấu hình chưa khai báo chân nào"),
                          t(lang, "set the [panel] pins from the wiring table in docs/deploy.md",
                            "khai báo các chân trong [panel] theo bảng đấu dây ở docs/deploy.md"))]
    lines = []
    owners: dict[int, str] = {}
    for pin, name in used:
        if pin in owners:
            lines.append(CheckLine("gpio", False, t(
                lang, f"GPIO{pin} is given to both {owners[pin]} and {name}",
                f"GPIO{pin} được gán cho cả {owners[pin]} và {name}"), t(
                lang, "give each button, light and the buzzer its own pin",
                "mỗi nút, đèn và còi cần một chân riêng")))
        owners.setdefault(pin, name)
    try:
        from gpiozero import Button, DigitalOutputDevice
        from .panel import make_pin_factory
        factory = pin_factory if pin_factory is not None else make_pin_factory(panel.pin_factory)
    except Exception as exc:
        return lines + [CheckLine("gpio", False, t(lang, f"GPIO not available ({exc})",
                                                   f"không dùng được GPIO ({exc})"), GPIO_FIX[lang])]
    for pin, name in owners.items():
        try:
            device = (Button(pin, pull_up=True, pin_factory=factory) if name.endswith("_button")
                      else DigitalOutputDevice(pin, pin_factory=factory))
            device.close()
        except Exception as exc:  # gpiozero and lgpio raise many kinds; all mean "not usable"
            lines.append(CheckLine("gpio", False, t(
                lang, f"GPIO{pin} ({name}) cannot be claimed ({type(exc).__name__}: {exc})",
                f"không chiếm được GPIO{pin} ({name}) ({type(exc).__name__}: {exc})"),
                GPIO_FIX[lang]))
    if not any(line.ok is False for line in lines):
        pins = ", ".join(str(p) for p in owners)
        lines.append(CheckLine("gpio", True, t(lang, f"GPIO pins claimable: {pins}",
                                               f"các chân GPIO dùng được: {pins}")))
    if pin_factory is None and factory is not None:
        factory.close()
    return lines


GPIO_FIX = {
    "en": "stop the agent first (systemctl stop culturehouse-edge); check the pin numbers in "
          "[panel] and that the user is in group gpio",
    "vi": "dừng dịch vụ trước (systemctl stop culturehouse-edge); kiểm tra số chân trong "
          "[panel] và tài khoản thuộc nhóm gpio",
}
