"""A miniature agent main loop for scan tests: one queue, items dispatched on this thread.

Time can be advanced (monotonic offset) so windows and retention need no sleeping.
"""
from __future__ import annotations

import copy
import queue
import time
from pathlib import Path

import protocol
from edge.config import EdgeConfig
from edge.feature import ButtonPress, CopyRequest, FeatureContext, Now
from edge.registry import FEATURES
from common.settings import load_table
from harness.procs import free_port


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class ScanAgent:
    def __init__(self, root: Path, scanner: dict, printer: bool = False, state_dir: Path | None = None):
        self.state_dir = Path(state_dir or root / "state")
        self.web_port = free_port()
        table = {
            "house": {"id": "test-house"},
            "printer": {"enabled": printer},
            "scanner": _merge({"enabled": True, "output_dir": str(root / "out"),
                               "web": {"address": "127.0.0.1", "port": self.web_port}}, scanner),
        }
        self.cfg: EdgeConfig = load_table(EdgeConfig, table)
        self.items: queue.Queue = queue.Queue()
        self.events: list[tuple[str, dict]] = []
        self.copies: list[CopyRequest] = []
        self.offset = 0.0
        self.ctx = FeatureContext(house="test-house", state_dir=self.state_dir,
                                  post=self.items.put, emit=self._emit)
        self.feature = FEATURES["scanning"].build(self.cfg, self.ctx)
        self.output_dir = Path(self.cfg.scanner.output_dir)
        self._started = False

    def _emit(self, etype: str, data) -> None:
        # Every event must pass the MQTT contract (types, keys, no MAC-like strings).
        protocol.build_event(protocol.Event("test-house", "b", 1, 0, etype, dict(data)))
        self.events.append((etype, dict(data)))

    def now(self) -> Now:
        return Now(time.time() + self.offset, time.monotonic() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.pump_once()

    def start(self) -> "ScanAgent":
        self.feature.start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self.feature.stop()
            self._started = False

    def pump_once(self, wait: float = 0.02) -> None:
        try:
            item = self.items.get(timeout=wait)
        except queue.Empty:
            item = None
        if item is not None:
            if isinstance(item, CopyRequest):
                self.copies.append(item)
            elif not self.feature.handle(item, self.now()):
                raise AssertionError(f"unhandled item {item!r}")
        self.feature.tick(self.now())

    def pump(self, until, timeout: float = 30.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = until()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached within {timeout}s; events: {self.events}")
            self.pump_once()

    def wait_ready(self) -> None:
        self.pump(lambda: self.feature.state.device == "ready", what="scanner ready")

    def press(self, button: str = "scan", seconds: float = 0.1):
        return self.feature.on_button(ButtonPress(button, seconds), self.now())

    def of_type(self, etype: str) -> list[dict]:
        return [data for t, data in self.events if t == etype]

    def wait_event(self, etype: str, count: int = 1, timeout: float = 30.0) -> dict:
        self.pump(lambda: len(self.of_type(etype)) >= count, timeout, what=f"{count} x {etype}")
        return self.of_type(etype)[count - 1]

    def pdfs(self) -> list[Path]:
        return sorted(self.output_dir.glob("scan-*.pdf"))

    def finish_session(self) -> None:
        """Wait for the page to be in, then let the multi-page window run out."""
        def waiting() -> bool:
            s = self.feature.state.session
            return s is None or (s.phase == "next_page" and s.built_pages == s.pages)
        self.pump(waiting, what="page scanned")
        self.advance(self.cfg.scanner.next_page_window + 1)
