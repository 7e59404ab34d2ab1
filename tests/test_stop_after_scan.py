"""A technician's stop is a clean stop, also after a scan (libsane resets SIGTERM)."""
from __future__ import annotations

import json
import os
import signal
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

import protocol
from harness.procs import wait_for
from tests.conftest import SANE_DIR
from tests.test_end_to_end import houses

T = protocol.Topics()


def press_scan(port: int, house: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = protocol.build_command(protocol.Command("press", uuid.uuid4().hex, 0,
                                                      {"button": "scan", "seconds": 0.1}))
    client.publish(T.cmd(house, "press"), payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def sigpipe_ignored(pid: int) -> bool:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGPIPE - 1)))
    return False


def test_sigterm_after_a_scan_still_stops_cleanly_and_says_stopped(
        central_app, broker, edge_config, edge_process, tmp_path, monkeypatch):
    monkeypatch.setenv("SANE_CONFIG_DIR", str(SANE_DIR))
    config = edge_config("house-05", scanner={"enabled": True,
                                              "output_dir": str(tmp_path / "scans")})
    edge = edge_process(config)
    port = central_app.web.port
    wait_for(lambda: houses(port).get("house-05", {}).get("online"), 15, what="house online")
    press_scan(broker.port, "house-05")
    wait_for(lambda: houses(port)["house-05"]["metrics"].get("scan.jobs.total", 0) >= 1, 30,
             what="a finished scan")
    wait_for(lambda: sigpipe_ignored(edge.pid), 3, what="SIGPIPE ignored again after the scan")
    edge.signal(signal.SIGTERM)
    edge.popen.wait(5)
    assert edge.popen.returncode == 0
    gone = wait_for(lambda: (h := houses(port)["house-05"]) and not h["online"] and h, 5,
                    what="house offline")
    assert gone["offline_reason"] == "stopped"
