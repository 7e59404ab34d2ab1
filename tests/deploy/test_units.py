"""The systemd units: `systemd-analyze verify` clean, hardened below the exposure targets."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "systemd"
TARGETS = {"culturehouse-edge": 4.5, "culturehouse-central": 3.0}
SYSTEM_UNITS = Path("/lib/systemd/system")


def directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / f"{unit}.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def exposure(unit: str) -> float:
    out = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                          str(UNITS / f"{unit}.service")], capture_output=True, text=True,
                         timeout=60)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
    assert match, out.stdout + out.stderr
    return float(match.group(1))


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory):
    """A root holding systemd's own units, our units and stand-ins for the installed commands."""
    root = tmp_path_factory.mktemp("unitroot")
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "opt/culturehouse/venv/bin").mkdir(parents=True)
    for unit in TARGETS:
        shutil.copy(UNITS / f"{unit}.service", root / "etc/systemd/system")
        exe = root / "opt/culturehouse/venv/bin" / unit
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return root


@pytest.mark.parametrize("unit", sorted(TARGETS))
def test_unit_passes_systemd_analyze_verify(unit, scratch_root):
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={scratch_root}",
                          f"{unit}.service"], capture_output=True, text=True, timeout=60)
    # verify exits 0 on mere warnings ("Unknown key", "Failed to parse"): any line is a finding.
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr


def test_verify_would_catch_a_misspelt_directive(scratch_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(scratch_root, root, symlinks=True)
    unit = root / "etc/systemd/system/culturehouse-edge.service"
    unit.write_text(unit.read_text().replace("Type=notify", "Type=notifyy"))
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}",
                          "culturehouse-edge.service"], capture_output=True, text=True, timeout=60)
    assert "notifyy" in out.stderr


@pytest.mark.parametrize("unit,target", sorted(TARGETS.items()))
def test_unit_exposure_is_within_target(unit, target):
    level = exposure(unit)
    print(f"{unit}: systemd-analyze security exposure {level}")
    assert level <= target


@pytest.mark.parametrize("unit", sorted(TARGETS))
def test_unit_is_notify_type_with_watchdog_and_restart_on_failure(unit):
    d = directives(unit)
    assert d["Type"] == ["notify"]
    assert d["WatchdogSec"] and d["Restart"] == ["on-failure"]
    assert "network-online.target" in " ".join(d["After"])


@pytest.mark.parametrize("unit", sorted(TARGETS))
def test_a_refused_config_is_not_restarted(unit):
    """Exit code 2 is a config the program refused (common.service.report_config_error):
    retrying cannot fix it, and would use up StartLimitBurst before the technician's fix."""
    from common.settings import ConfigError
    from common.service import report_config_error
    code = report_config_error(ConfigError("edge.toml", ["x: bad"]))
    assert directives(unit)["RestartPreventExitStatus"] == [str(code)]


def test_edge_unit_starts_after_cups():
    d = directives("culturehouse-edge")
    assert "cups.service" in " ".join(d["After"]) and "cups.service" in " ".join(d["Wants"])


@pytest.mark.parametrize("unit", sorted(TARGETS))
def test_unit_drops_every_capability_and_closes_devices(unit):
    d = directives(unit)
    assert d["CapabilityBoundingSet"] == [""]
    assert d["DevicePolicy"] == ["closed"] and d["ProtectSystem"] == ["strict"]
    assert d["NoNewPrivileges"] == ["yes"] and d["SystemCallFilter"][0] == "@system-service"
    assert d["MemoryMax"] and d["StateDirectory"]


def test_edge_unit_allows_only_the_gpio_chip_usb_and_sound_devices():
    # char-alsa: the spoken prompts play through aplay (docs/voice.md).
    assert sorted(directives("culturehouse-edge")["DeviceAllow"]) == [
        "char-alsa rw", "char-gpiochip rw", "char-usb_device rw"]


def test_secrets_come_from_the_env_file_not_the_unit():
    for unit in TARGETS:
        d = directives(unit)
        assert d["EnvironmentFile"][0].startswith("-/etc/culturehouse/")
        assert not any("PASSWORD" in v for v in d.get("Environment", []))
