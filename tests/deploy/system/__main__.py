"""`make deploy-test`: boot Debian bookworm with systemd as PID 1 (systemd-nspawn), install
central and a house as docs/deploy.md and docs/operations.md say, and check the units.
One line per check (✔/✘ name: detail), the total wall time, exit 1 on any ✘.

Run as root from the checkout: python3 -m tests.deploy.system
"""
from __future__ import annotations

import functools
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import image, install_steps as inst, service_steps as svc
from .container import Container
from .deployment import Deployment
from .report import Report

NEEDED = ("mmdebstrap", "systemd-nspawn", "nsenter")


def steps(d: Deployment) -> list[tuple[str, object]]:
    """Every check in order; a later one may need an earlier one's work."""
    edge_install = functools.partial(inst.run_installer, d, "edge", "--config",
                                     inst.HOUSE_CONFIG)
    return [
        ("copy the checkout in", functools.partial(inst.copy_checkout, d)),
        ("install.sh central", functools.partial(inst.run_installer, d, "central")),
        ("central set up (broker user, secret, login)", functools.partial(inst.set_up_central, d)),
        ("install.sh edge", edge_install),
        ("house set up (password, CUPS queue, scanner)", functools.partial(inst.set_up_house, d)),
        ("both units active via notify", functools.partial(svc.units_active, d)),
        ("telemetry reaches central", functools.partial(svc.telemetry, d)),
        ("culturehouse-central check", functools.partial(svc.self_check, d, "central")),
        ("culturehouse-edge check", functools.partial(svc.self_check, d, "edge")),
        ("clock readable under the units' sandboxes", functools.partial(svc.clock_in_sandbox, d)),
        ("dashboard answers", functools.partial(svc.dashboard, d)),
        ("60 commands at once over TLS", functools.partial(svc.commands_over_tls, d)),
        ("a print completes", functools.partial(svc.print_job, d)),
        ("a scan completes", functools.partial(svc.scan, d)),
        ("a copy completes", functools.partial(svc.copy, d)),
        ("warnings at warning priority", functools.partial(svc.forced_warning, d)),
        ("cgroup limits apply", functools.partial(svc.cgroup_limits, d)),
        ("edge threads under 200 scan-page connections",
         functools.partial(svc.threads_under_load, d, "culturehouse-edge", 8090)),
        ("central threads under 200 dashboard connections",
         functools.partial(svc.threads_under_load, d, "culturehouse-central", 8080)),
        ("watchdog keeps alive and restarts a stopped unit", functools.partial(svc.watchdog, d)),
        ("upgrade over the running system", functools.partial(inst.upgrade, d)),
        # The stop comes right after a scan in the same process: libsane once reset the
        # agent's SIGTERM handler, and systemd then killed it (central saw "lost").
        ("a copy completes after the upgrade", functools.partial(svc.copy, d)),
        ("systemctl stop culturehouse-edge is graceful",
         functools.partial(svc.graceful_stop, d, "culturehouse-edge")),
        ("systemctl stop culturehouse-central is graceful",
         functools.partial(svc.graceful_stop, d, "culturehouse-central")),
    ]


def main() -> int:
    # `timeout` (make deploy-test) and CI stop with SIGTERM: power the container off first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    begin = time.monotonic()
    missing = [tool for tool in NEEDED if not shutil.which(tool)]
    if missing:
        print(f"✘ tools: {', '.join(missing)} missing (make setup installs them)")
        return 1
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="culturehouse-deploy-"))
    tree = wheels = None

    def build_tree():
        nonlocal tree
        tree, built = image.ensure_tree()
        return f"{'built' if built else 'cached'} {tree.parent}"

    def build_wheels():
        nonlocal wheels
        wheels, built = image.ensure_wheels()
        return f"{'made' if built else 'cached'} {wheels.name}: {len(list(wheels.glob('*.whl')))} wheels"

    box = None
    try:
        if report.check("Debian bookworm tree", build_tree) and \
                report.check("wheelhouse (install.sh wheels)", build_wheels):
            box = Container(tree, image.REPO, wheels, work / "console.log")
            if report.check("boot with systemd as PID 1", lambda: f"system {box.boot()}"):
                d = Deployment(box)
                for name, step in steps(d):
                    if not report.check(name, step) and name.startswith(("install", "copy")):
                        break  # nothing after it can work
                (work / "journal.txt").write_text(box.sh("journalctl -b --no-pager -o short-monotonic",
                                                         check=False).stdout)
    finally:
        if box:
            box.power_off()
    took = time.monotonic() - begin
    failed = report.failed
    print(f"{'✘' if failed else '✔'} deployment test: {len(report.lines) - len(failed)} passed, "
          f"{len(failed)} failed in {took / 60:.1f} min ({took:.0f} s); journal and console in "
          f"{work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
