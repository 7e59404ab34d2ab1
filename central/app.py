"""Wires central: store, MQTT collector and web server; runs until told to stop."""
from __future__ import annotations

import logging
import threading

from . import __version__
from .collector import Collector
from .config import CentralConfig
from .store import Store
from .web import Web

log = logging.getLogger(__name__)


class Central:
    def __init__(self, cfg: CentralConfig):
        self.cfg = cfg
        self.store = Store(cfg.storage.database)
        self.collector = Collector(cfg, self.store)
        self.web = Web(self.store, cfg.web.host, cfg.web.port, self.health)
        self._stop = threading.Event()

    def health(self) -> dict:
        return {"status": "ok" if self.collector.connected else "degraded",
                "broker": self.collector.connected, "version": __version__,
                "stored_total": self.collector.stored_total,
                "rejected": dict(self.collector.rejected)}

    def request_stop(self, reason: str = "signal") -> None:
        log.info("stopping (%s)", reason)
        self._stop.set()

    def run(self, ready=None, watchdog=None) -> None:
        self.collector.start()
        self.web.start()
        log.info("central %s: dashboard on http://%s:%d/", __version__, self.cfg.web.host,
                 self.web.port)
        if ready:
            ready()
        while not self._stop.wait(1.0):
            if watchdog and self.collector.writer.is_alive():
                watchdog()
        self.web.stop()
        self.collector.stop()
        self.store.close()
        log.info("stopped")
