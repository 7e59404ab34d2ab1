"""Many simulated houses in a few processes: each house is a real paho client with its own
connection, will and credentials-free session, driven by one selector loop per process
(a thread per house would not fit 10,000 houses on 2 cores).

A worker connects its houses as fast as the broker accepts, publishes each house's retained
"online" status, then optionally a day's backlog as `history` batches, and reports when the
broker has acknowledged everything it published.
"""
from __future__ import annotations

import multiprocessing as mp
import resource
import selectors
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

import protocol

BOOT = "b" * 32
EPOCH = "e" * 32
T0 = 1_764_000_000_000


def raise_open_files(want: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def status(house: str, online: bool) -> bytes:
    return protocol.build_status(protocol.Status(house, online, BOOT, T0, "bench",
                                                 "" if online else "lost", epoch=EPOCH))


def day_of_history(house: str, rows: int, metrics: dict) -> list[bytes]:
    """`rows` minute samples as history batches of up to 60 rows, as an edge replays them."""
    samples = [protocol.Telemetry(house, BOOT, seq, T0 + seq * 60_000,
                                  {**metrics, "sys.uptime_s": 86400 + seq * 60}, epoch=EPOCH)
               for seq in range(1, rows + 1)]
    return [protocol.build_history(house, samples[i:i + 60]) for i in range(0, rows, 60)]


def _worker(port: int, houses: list[str], rows: int, metrics: dict, done) -> None:
    raise_open_files(len(houses) * 2 + 256)
    topics = protocol.Topics()
    sel = selectors.DefaultSelector()
    pending = 0
    connected = 0

    def on_connect(client, house, flags, rc, props):
        nonlocal connected, pending
        connected += 1
        messages = [(topics.status(house), status(house, True), True)] + [
            (topics.history(house), batch, False) for batch in day_of_history(house, rows,
                                                                              metrics)]
        for topic, payload, retain in messages:
            client.publish(topic, payload, qos=1, retain=retain)
            pending += 1

    def on_publish(client, house, mid, rc, props):
        nonlocal pending
        pending -= 1

    clients = []
    for house in houses:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=house, userdata=house,
                        protocol=mqtt.MQTTv311)
        c.will_set(topics.status(house), status(house, False), qos=1, retain=True)
        c.on_connect, c.on_publish = on_connect, on_publish
        c.max_inflight_messages_set(20)
        c.connect("127.0.0.1", port, keepalive=600)
        sel.register(c.socket(), selectors.EVENT_READ, c)
        clients.append(c)
        for key, _ in sel.select(0):  # read CONNACKs while connecting the rest
            key.data.loop_read()
            key.data.loop_write()
    said_connected = False
    while connected < len(houses) or pending > 0:
        for key, _ in sel.select(0.05):
            key.data.loop_read()
        for c in clients:
            if c.want_write():
                c.loop_write()
        if connected == len(houses) and not said_connected:
            done.put(("connected", time.time()))
            said_connected = True
    if not said_connected:
        done.put(("connected", time.time()))
    done.put(("acked", time.time()))
    # Stay connected until told (the houses are "online" while central is measured).
    while True:
        for key, _ in sel.select(1.0):
            key.data.loop_read()
        for c in clients:
            c.loop_misc()


class SimulatedHouses:
    """`count` houses over `workers` processes; `rows` backlog rows each (0: none)."""

    def __init__(self, port: int, count: int, workers: int = 4, rows: int = 0,
                 metrics: dict | None = None, prefix: str = "sim"):
        self.names = [f"{prefix}-{i:05d}" for i in range(count)]
        self.queue: mp.Queue = mp.Queue()
        share = (count + workers - 1) // workers
        self.procs = [mp.Process(target=_worker, daemon=True,
                                 args=(port, self.names[i:i + share], rows, metrics or {},
                                       self.queue))
                      for i in range(0, count, share)]

    def start(self) -> "SimulatedHouses":
        for p in self.procs:
            p.start()
        return self

    def wait(self, timeout: float) -> tuple[float, float]:
        """Unix times when every house had its CONNACK, and when the broker had acknowledged
        every message of every house."""
        seen: dict[str, float] = {"connected": 0.0, "acked": 0.0}
        for _ in range(2 * len(self.procs)):
            what, at = self.queue.get(timeout=timeout)
            seen[what] = max(seen[what], at)
        return seen["connected"], seen["acked"]

    def stop(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.kill()  # their own pids; the broker sees the wills
            p.join(5)
