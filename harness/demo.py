"""`make demo`: mosquitto, a private cupsd, central and ten edge agents on this machine.

Everything listens on 127.0.0.1 with free ports and lives in one temporary directory;
Ctrl-C (or SIGTERM) stops every process this script started, by its process id.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from .cups import CupsServer, FakeIppPrinter
from .demo_activity import DemoActivity, start_hostapds
from .demo_history import seed_history
from .edgeproc import start_central, start_edge, write_central_config, write_edge_config
from .mosquitto import MosquittoBroker
from .procs import free_port, wait_for
from .sane import private_sane_config

HOUSES = [f"house-{n:02d}" for n in range(1, 11)]
DEMO_USER, DEMO_PASSWORD = "demo", "demo-password"


def edge_sections(house: str, queue: str, workdir: Path, scan_port: int) -> dict:
    """Per-house config: mock GPIO pins, the private cupsd's queue, the SANE test backend,
    a fake hostapd for the Wi-Fi."""
    return {
        "telemetry": {"interval": "10s"},
        "mqtt": {"keepalive": "15s", "reconnect_max": "10s"},
        "panel": {"pin_factory": "mock", "print_button": 17, "scan_button": 27,
                  "copy_button": 22, "help_button": 23, "green_light": 5,
                  "amber_light": 6, "red_light": 13, "help_light": 19, "buzzer": 26},
        "printer": {"enabled": True, "queue": queue},
        "scanner": {"enabled": True, "output_dir": str(workdir / "scans" / house),
                    "web": {"address": "127.0.0.1", "port": scan_port,
                            "staff_addresses": ["127.0.0.1"]}},  # the "house PC" is this machine
        "wifi": {"enabled": True, "sources": ["hostapd"],
                 "hostapd": {"ctrl_dir": str(workdir / "hostapd" / house), "client_dir": ""}},
    }


# The demo fleet's places (central's [houses.ID] tables): one province, two communes under a
# district and one directly under the province (the two-level system since 2025).
DEMO_PLACES = [{"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Tiên Lữ"},
               {"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Thiện Phiến"},
               {"province": "Hưng Yên", "district": "", "commune": "Xã Hoàng Hoa Thám"}]


def fleet_names() -> dict:
    """House names from the example fleet configs (config/houses/), and a demo place each,
    for the dashboard."""
    import tomllib
    fleet = Path(__file__).resolve().parents[1] / "config" / "houses"
    names = {}
    for i, house in enumerate(HOUSES):
        path = fleet / f"{house}.toml"
        if path.exists():
            names[house] = {"name": tomllib.loads(path.read_text())["house"].get("name", ""),
                            **DEMO_PLACES[i % len(DEMO_PLACES)]}
    return names


def make_queues(cupsd: CupsServer) -> tuple[dict[str, str], FakeIppPrinter | None]:
    """A held queue per house in front of one fake IPP printer (pages counted); plain
    /dev/null queues when DNS-SD for ippeveprinter cannot start (e.g. not root)."""
    printer = None
    try:
        printer = FakeIppPrinter().start()
        printer.set_page_seconds(1)
    except (RuntimeError, OSError, TimeoutError) as exc:
        print(f"(fake IPP printer unavailable: {exc}; printing to /dev/null queues)")
        printer = None
    queues = {}
    for house in HOUSES:
        queue = house.replace("-", "_")
        if printer:
            cupsd.add_ipp_queue(queue, printer.uri, hold=True)
        else:
            cupsd.add_null_queue(queue, hold=True)
        queues[house] = queue
    return queues, printer


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="culturehouse-demo-"))
    work.chmod(0o755)
    signal.signal(signal.SIGTERM, _interrupt)
    procs = []
    broker = cupsd = printer = activity = None
    hostapds = {}
    try:
        print("Starting mosquitto, cupsd, central and ten houses (logs in %s) ..." % work,
              flush=True)
        # 30 days of made-up history (marked as such) while the servers start: central's
        # database must hold it before central opens it.
        seeded: list = []
        seeder = threading.Thread(target=lambda: seeded.append(
            seed_history(work / "central.sqlite", HOUSES)), name="demo-history", daemon=True)
        seeder.start()
        broker = MosquittoBroker(work / "mosquitto").start()
        cupsd = CupsServer(work / "cups").start()
        sane_dir = private_sane_config(work / "sane")
        env = {**os.environ, "CUPS_SERVER": cupsd.server, "SANE_CONFIG_DIR": str(sane_dir)}
        from central.auth import hash_password
        web_port = free_port()
        users = {DEMO_USER: {"role": "operator", "password_hash": hash_password(DEMO_PASSWORD)}}
        central_cfg = write_central_config(work / "central.toml", broker.port,
                                           work / "central.sqlite", web_port, users=users,
                                           houses=fleet_names())
        queues, printer = make_queues(cupsd)
        hostapds = start_hostapds(work / "hostapd", HOUSES)
        seeder.join()
        if not seeded:
            print("seeding the sample history failed (see above)", file=sys.stderr)
            return 1
        print(f"Sample history (\"Dữ liệu mẫu\"): {seeded[0].rows:,} rows for "
              f"{seeded[0].houses} houses in {seeded[0].seconds:.1f} s", flush=True)
        central = start_central(central_cfg, work / "central.log", env=env)
        procs.append(central)
        for house in HOUSES:
            cfg = write_edge_config(work / f"{house}.toml", house, broker.port,
                                    work / "state" / house,
                                    **edge_sections(house, queues[house], work, free_port()))
            procs.append(start_edge(cfg, work / f"{house}.log", env=env))
        wait_for(lambda: "dashboard on" in central.output() or not central.alive(), 20,
                 what="central")
        if not central.alive():
            print(central.output()[-2000:], file=sys.stderr)
            return 1
        activity = DemoActivity(HOUSES, broker.port, cupsd.server, queues, hostapds)
        activity.start()
        print(f"\nDashboard: http://127.0.0.1:{web_port}/\n", flush=True)
        print(f"Log in as {DEMO_USER!r} with password {DEMO_PASSWORD!r} (operator).")
        print(f"Live MQTT stream (plain JSON, docs/integrations.md): mosquitto_sub -h 127.0.0.1 "
              f"-p {broker.port} -t 'culturehouse/v1/+/telemetry' -v")
        print("Simulated citizens print, scan, copy, join the Wi-Fi and ask for help.")
        print("Press Ctrl-C to stop everything.", flush=True)
        while True:
            time.sleep(1)
            dead = [p for p in procs if not p.alive()]
            if dead:
                print(f"{dead[0].log_path.name}: stopped unexpectedly:\n"
                      + dead[0].output()[-3000:], file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    finally:
        if activity:
            activity.stop()
        for proc in reversed(procs):
            proc.stop()
        for hostapd in hostapds.values():
            hostapd.stop()
        if printer:
            printer.stop()
        if cupsd:
            cupsd.stop()
        if broker:
            broker.stop()
        if not os.environ.get("CULTUREHOUSE_DEMO_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
