"""Bytes on the wire per house per day at the default intervals (60 s samples, a full sample
every 15 min, 60 s keepalive).

A real agent talks to a real mosquitto through a byte-counting TCP proxy on 127.0.0.1, with
a collector acknowledging. Samples are taken every second here and scaled to a day of
60-second samples; a full sample goes every 15 samples, as every 15 minutes would, and the
house's figures change as a busy day's do (Wi-Fi clients every few minutes, a print job now
and then), besides the Pi's own load, memory and uptime. Payloads are plain JSON (only the
backlog is compressed). Run: python -m bench.wire_bytes.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from pathlib import Path

from central import config as central_config
from central.collector import Collector
from central.store import Store
from edge import config as edge_config
from edge.agent import Agent
from edge.feature import Feature
from harness.edgeproc import write_central_config, write_edge_config
from harness.mosquitto import MosquittoBroker
from harness.procs import LOOPBACK, free_port, wait_for

SAMPLES = 45
PER_DAY = 24 * 60  # samples a day at the default 60 s interval
FULL_EVERY = 15  # samples from one full sample to the next (15 min of 60 s samples)
TCP_IP = 52  # IPv4 + TCP with timestamps, per segment
TLS_RECORD = 29  # TLS 1.2/1.3 AES-GCM record header, nonce and tag


class HouseMetrics(Feature):
    """What a house with printer, scanner and Wi-Fi reports besides the system metrics, in
    a busy hour: Wi-Fi clients come and go every third sample, a print job every fifth."""

    name = "bench"

    def __init__(self):
        self.n = 0

    def metrics(self, now):
        self.n += 1
        jobs, clients = 310 + self.n // 5, 9 + (self.n // 3) % 4
        return {"print.state": "idle", "print.reasons": [], "print.queue.held": 0,
                "print.queue.pending": 0, "print.jobs.total": jobs,
                "print.pages.total": 1204 + 2 * (jobs - 310),
                "copy.jobs.total": 41, "copy.pages.total": 96, "scan.state": "idle",
                "scan.queue": 0, "scan.jobs.total": 233, "scan.pages.total": 412,
                "wifi.clients": clients, "wifi.sessions.active": clients + 2,
                "wifi.sessions.total": 5321 + self.n // 3, "wifi.unique.today": 37 + self.n // 9,
                "help.requests.total": 3, "help.open": 0}


class CountingProxy:
    """Forwards one TCP connection at a time and counts bytes and reads each way."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.server = socket.create_server((LOOPBACK, 0))
        self.port = self.server.getsockname()[1]
        self.bytes = {"up": 0, "down": 0}
        self.reads = {"up": 0, "down": 0}
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection((LOOPBACK, self.target))
            for src, dst, way in ((client, upstream, "up"), (upstream, client, "down")):
                threading.Thread(target=self._pipe, args=(src, dst, way), daemon=True).start()

    def _pipe(self, src, dst, way) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            with self.lock:
                self.bytes[way] += len(data)
                self.reads[way] += 1
            dst.sendall(data)

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return sum(self.bytes.values()), sum(self.reads.values())


def measure(mqtt5: bool = False) -> tuple[float, float]:
    """MQTT bytes and socket reads per sample, both ways, with the edge on MQTT 3.1.1 or 5."""
    work = Path(tempfile.mkdtemp(prefix="ch-bench-wire-"))
    broker = MosquittoBroker(work / "mosq").start()
    ccfg = central_config.load(write_central_config(work / "central.toml", broker.port,
                                                    work / "central.sqlite", free_port()))
    collector = Collector(ccfg, Store(ccfg.storage.location))
    collector.start()
    proxy = CountingProxy(broker.port)
    cfg = edge_config.load(write_edge_config(work / "edge.toml", "house-01", proxy.port,
                                             work / "state",
                                             mqtt={"keepalive": "60s", "protocol": "5" if mqtt5 else "default"}))
    # 1 s samples here stand for 60 s ones: a full sample every 15 s stands for every 15 min.
    # (The config refuses less than a minute; the bench sets it past the check.)
    object.__setattr__(cfg.telemetry, "full_every", float(FULL_EVERY * cfg.telemetry.interval))
    agent = Agent(cfg)
    agent.features.append(HouseMetrics())
    agent.rows.clock_quality = lambda wall: "ntp"  # a synchronised Pi: no mono on every sample
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: agent.publisher.acked >= 3, 30, what="first samples acknowledged")
        bytes0, reads0 = proxy.snapshot()
        start = agent.publisher.acked
        wait_for(lambda: agent.publisher.acked >= start + SAMPLES, 90, interval=0.2,
                 what="samples acknowledged")
        bytes1, reads1 = proxy.snapshot()
        samples = agent.publisher.acked - start
    finally:
        agent.request_stop("bench over")
        thread.join(10)
        collector.stop()
        collector.store.close()
        broker.stop()
    shutil.rmtree(work, ignore_errors=True)
    return (bytes1 - bytes0) / samples, (reads1 - reads0) / samples


def mqtt_per_day(per_sample: float) -> float:
    keepalive = PER_DAY * 4  # PINGREQ + PINGRESP, at most once per keepalive
    return per_sample * PER_DAY + keepalive


def run() -> list[tuple[str, float, str]]:
    per_sample, reads = measure()
    mqtt_day = mqtt_per_day(per_sample)
    # Each read is about one segment (a bare TCP ACK may follow it); TLS wraps it in a record.
    segments = reads * PER_DAY + 2 * PER_DAY
    tcp_day = mqtt_day + segments * (TCP_IP + TCP_IP)
    tls_day = mqtt_day + segments * (TCP_IP + TLS_RECORD + TCP_IP)
    return [("MQTT bytes per sample (both ways, with PUBACKs and central's ack)", per_sample,
             "B"), ("MQTT bytes per house per day", mqtt_day / 1e6, "MB"),
            ("estimated on the wire over plain TCP/IP per house per day", tcp_day / 1e6, "MB"),
            ("estimated on the wire with TLS and TCP/IP per house per day", tls_day / 1e6, "MB"),
            ("MQTT bytes per house per day with the edge on MQTT 5 (content_type on each)",
             mqtt_per_day(measure(mqtt5=True)[0]) / 1e6, "MB")]


if __name__ == "__main__":
    for row in run():
        print(*row)
