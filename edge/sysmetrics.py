"""System metrics of the Pi: uptime, CPU temperature, load, memory and disk.

Reads /proc and /sys only; a value the machine does not expose is left out.
Pure: standard library only.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")


def _first_number(path: Path) -> float | None:
    try:
        return float(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _mem_available_kb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def read_system_metrics(disk_path: str | Path) -> dict[str, float]:
    """One sample of sys.* metrics."""
    out: dict[str, float] = {}
    uptime = _first_number(Path("/proc/uptime"))
    if uptime is not None:
        out["sys.uptime_s"] = round(uptime)
    temp = _first_number(THERMAL)
    if temp is not None:
        out["sys.cpu_temp_c"] = round(temp / 1000, 1)
    try:
        out["sys.load1"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    mem = _mem_available_kb()
    if mem is not None:
        out["sys.mem_available_mb"] = round(mem / 1024)
    try:
        usage = shutil.disk_usage(disk_path)
        out["sys.disk_free_mb"] = round(usage.free / 2**20)
        out["sys.disk_free_pct"] = round(100 * usage.free / usage.total, 1)
    except OSError:
        pass
    return out
