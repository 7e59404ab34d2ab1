"""The cached Debian bookworm tree the deployment test boots, and the wheelhouse pip installs
from inside it (the container has no network but its own loopback).

Both live under CACHE (reused across runs and CI jobs), keyed by what they hold: the tree by
its package list and the machine's apt sources, the wheels by pyproject.toml and install.sh.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("CULTUREHOUSE_DEPLOY_CACHE", "/var/cache/culturehouse-deploy"))
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
SUITE = "bookworm"
# systemd as PID 1 and the bus its tools use; everything else is what install.sh installs,
# so its own apt step finds it all present (and works offline).
BOOT_PACKAGES = ("systemd", "systemd-sysv", "dbus")


def apt_sources() -> Path:
    """The machine's own apt sources, for mmdebstrap (deb822 or one-line format)."""
    if SOURCES.exists():
        return SOURCES
    return Path("/etc/apt/sources.list")


def installer_packages() -> list[str]:
    """What `install.sh central` and `install.sh edge` install, asked of install.sh itself."""
    found: list[str] = []
    for role in ("central", "edge"):
        out = subprocess.run(["bash", str(REPO / "install.sh"), "packages", role],
                             capture_output=True, text=True, check=True, timeout=60)
        found += out.stdout.split()
    return sorted(set(found))


def tree_key(packages: list[str]) -> str:
    text = "\n".join([SUITE, *packages, apt_sources().read_text()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_tree() -> tuple[Path, bool]:
    """The cached tree's root (built with mmdebstrap when missing) and whether it was built."""
    packages = sorted(set(BOOT_PACKAGES) | set(installer_packages()))
    final = CACHE / f"bookworm-{tree_key(packages)}"
    if (final / "root/usr/lib/systemd/systemd").exists():
        return final / "root", False
    CACHE.mkdir(parents=True, exist_ok=True)
    building = CACHE / f".building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    # minbase: Priority required (useradd, hostname, ...) and apt. The package lists stay
    # in the tree, so install.sh's `apt-get update` (offline: warnings, exit 0) and
    # `apt-cache show` work as on a machine that was online once.
    cmd = ["mmdebstrap", "--variant=minbase", "--include=" + ",".join(packages),
           "--skip=cleanup/apt/lists", "--quiet", SUITE, str(building / "root"),
           str(apt_sources())]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise RuntimeError("mmdebstrap failed:\n" + out.stdout[-2000:] + out.stderr[-3000:])
    (building / "packages").write_text("\n".join(packages) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    building.rename(final)
    return final / "root", True


def ensure_wheels() -> tuple[Path, bool]:
    """The wheelhouse `install.sh wheels` makes (kept per pyproject.toml and install.sh, a
    few seconds to remake) and whether it was made now."""
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()
                         + (REPO / "install.sh").read_bytes()).hexdigest()[:16]
    final = CACHE / f"wheels-{key}"
    if (final / ".complete").exists():
        return final, False
    building = CACHE / f".wheels-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    out = subprocess.run(["bash", str(REPO / "install.sh"), "wheels", str(building)],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise RuntimeError("install.sh wheels failed:\n" + out.stdout[-2000:] + out.stderr[-3000:])
    (building / ".complete").write_text("")
    shutil.rmtree(final, ignore_errors=True)
    building.rename(final)
    return final, True
