"""Rig for the print feature, shared by tests/printing and bench/print_release.py: a
stand-in for the agent's main loop, the fake printer's paper tray, and helpers to submit
held jobs through the real cupsd."""
from __future__ import annotations

import queue
import threading
import time
import urllib.request
from pathlib import Path

import protocol
from edge.feature import ButtonPress, FeatureContext, Now
from edge.lights import choose_lights
from .procs import wait_for

PERSONAL_TITLE = "Nguyen Van An - CCCD mat truoc.pdf"  # must never leave the Pi


def now() -> Now:
    return Now(time.time(), time.monotonic())


class LoopAgent:
    """What edge/agent.py does for features, in one thread: drain the queue, dispatch,
    offer presses, tick, show lights. Every emitted event is built with the MQTT contract."""

    def __init__(self, tmp: Path, panel=None):
        self.items: queue.Queue = queue.Queue()
        self.events: list[tuple[str, dict]] = []
        self.beeps: list[str] = []
        self.features: list = []
        self.panel = panel
        self.errors: list[BaseException] = []
        self.ctx = FeatureContext(house="house-01", state_dir=tmp, post=self.items.put,
                                  emit=self._emit)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dispatched = 0

    def _emit(self, etype: str, data) -> None:
        assert threading.current_thread() is self._thread, "emit() off the main loop"
        protocol.build_event(protocol.Event("house-01", "boot", len(self.events) + 1,
                                            int(time.time() * 1000), etype, dict(data)))
        self.events.append((etype, dict(data)))

    def start(self, *features) -> "LoopAgent":
        self.features.extend(features)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def call(self, fn, *args):
        """Run fn on the loop thread (features are main-thread only) and return its result."""
        box: queue.Queue = queue.Queue()
        self.items.put(("call", fn, args, box))
        return box.get(timeout=20)

    def _run(self) -> None:
        for feature in self.features:
            feature.start()
        next_tick = 0.0
        while not self._stop.is_set():
            try:
                item = self.items.get(timeout=0.05)
            except queue.Empty:
                item = None
            try:
                t = now()
                if isinstance(item, tuple) and item and item[0] == "call":
                    item[3].put(item[1](*item[2]))
                elif isinstance(item, ButtonPress):
                    for feature in self.features:
                        verdict = feature.on_button(item, t)
                        if verdict is not None:
                            self.beeps.append("accept" if verdict else "refuse")
                            if self.panel:
                                self.panel.beep(self.beeps[-1])
                            break
                elif item is not None:
                    any(feature.handle(item, t) for feature in self.features)
                    self.dispatched += 1
                if t.mono >= next_tick:
                    next_tick = t.mono + 0.2
                    for feature in self.features:
                        feature.tick(t)
                    plan = choose_lights([f.indicator(t) for f in self.features])
                    if self.panel:
                        self.panel.show(plan)
                    for feature in self.features:
                        protocol.check_metrics(feature.metrics(t))
            except BaseException as exc:  # recorded so the test fails loudly
                self.errors.append(exc)
        for feature in self.features:
            feature.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(15)
        assert not self.errors, self.errors

    def press(self, seconds: float = 0.1) -> None:
        self.items.put(ButtonPress("print", seconds))

    def types(self) -> list[str]:
        return [t for t, _ in self.events]

    def wait_event(self, etype: str, timeout: float = 20, count: int = 1) -> list[dict]:
        def found():
            hits = [d for t, d in list(self.events) if t == etype]
            return hits if len(hits) >= count else None
        return wait_for(found, timeout, what=f"{count} x {etype}")

    def metric(self, feature, name: str):
        return self.call(lambda: feature.metrics(now())[name])


def set_paper(printer, sheets: int) -> None:
    """Load (or empty) the fake printer's main tray through its own web form."""
    url = (f"http://127.0.0.1:{printer.port}/media?size1=iso_a4_210x297mm&type1=stationery"
           f"&level1={sheets}&size3=&type3=&level3=-2")
    with urllib.request.urlopen(url, timeout=10) as resp:
        resp.read()


def make_pdf(path: Path, pages: int = 1) -> Path:
    from PIL import Image
    images = [Image.new("RGB", (120, 170), "white") for _ in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def cups_conn(server: str):
    import cups
    cups.setServer(server)  # per-thread in libcups
    return cups.Connection()


def submit_held(server: str, queue_name: str, pdf: Path) -> int:
    return cups_conn(server).printFile(queue_name, str(pdf), PERSONAL_TITLE, {})


def job_state(server: str, job_id: int) -> int:
    return cups_conn(server).getJobAttributes(job_id, requested_attributes=["job-state"])["job-state"]


def wait_queue_ready(server: str, name: str) -> None:
    """lpadmin -m everywhere returns before cupsd has loaded the queue's PPD."""
    def ready():
        attrs = cups_conn(server).getPrinterAttributes(
            name, requested_attributes=["printer-make-and-model"])
        return "Everywhere" in attrs.get("printer-make-and-model", "")
    wait_for(ready, 20, what=f"queue {name} ready")
