"""Wires central: store, MQTT collector, alert monitor and web server; runs until told to stop."""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

import protocol

from . import __version__, alerts, queries, rollups
from .collector import Collector
from .config import CentralConfig
from .database import ERRORS as DB_ERRORS
from .isolation import describe
from .store import Store
from .web import Deps, Web

log = logging.getLogger(__name__)


class AlertMonitor:
    """Evaluates alerts on central's main loop; publishes them retained and to a webhook."""

    def __init__(self, cfg: CentralConfig, store: Store, collector: Collector):
        a = cfg.alerts
        self.rules = alerts.Rules(a.offline_after, a.printer_after, a.scanner_after,
                                  a.backlog_rows, 60.0, a.skew_max, 120.0, a.disk_low_pct,
                                  a.disk_clear_pct, a.help_ack_within, a.clear_after)
        self.cfg, self.store, self.collector = cfg, store, collector
        self.names = {h: e.name for h, e in cfg.houses.items()}
        self.tracks: dict[tuple, alerts.Track] = {}
        self._open: list[dict] = []
        self._published: bytes | None = None
        self._next = 0.0

    def open(self) -> list[dict]:
        return self._open

    def due(self, mono: float) -> bool:
        if mono < self._next:
            return False
        self._next = mono + self.cfg.alerts.interval
        return True

    def evaluate(self, now_ms: int) -> None:
        db = self.store.reader()
        cards = queries.house_cards(db, now_ms, self.names, self.cfg.web.heartbeat_stale, [])
        latest = queries.latest_clock(db, [c["house"] for c in cards])
        changes = []
        for card in cards:
            house = card["house"]
            raised = {k for (h, k), t in self.tracks.items() if h == house and t.raised}
            ts = latest.get(house)
            skew = ts[0] - ts[1] if ts and ts[2] == "ntp" and now_ms - ts[1] < 600_000 else None
            conds, current = alerts.observe(card, self.rules, raised, skew,
                                            self._backlog_growing(db, card, now_ms))
            up, down = alerts.step(self.tracks, house, conds, current, now_ms, self.rules)
            changes += [("raised", t) for t in up] + [("cleared", t) for t in down]
        up, down = alerts.step(self.tracks, alerts.CENTRAL,
                               alerts.observe_central(self.collector.watch.stall), True, now_ms,
                               self.rules)
        changes += [("raised", t) for t in up] + [("cleared", t) for t in down]
        self._open = [alerts.as_dict(t, now_ms, self.names.get(t.house, ""))
                      for t in sorted(self.tracks.values(), key=lambda t: (t.house, t.kind))
                      if t.raised]
        for what, t in changes:
            log.info("alert %s: %s at %s", what, t.kind, t.house)
        self._publish(now_ms, force=bool(changes))
        if changes and self.cfg.alerts.webhook_url:
            body = [{"change": w, **alerts.as_dict(t, now_ms, self.names.get(t.house, ""))}
                    for w, t in changes]
            threading.Thread(target=self._post, args=(body,), daemon=True).start()

    def _backlog_growing(self, db, card: dict, now_ms: int) -> bool:
        rows = card["metrics"].get(alerts.OUTBOX_ROWS)
        if not isinstance(rows, (int, float)) or rows < self.rules.backlog_rows:
            return False
        before = db.execute("SELECT json_extract(body, ?) FROM messages "
                            "WHERE house = ? AND kind = 'telemetry' AND ts <= ? "
                            "ORDER BY house, kind, ts DESC LIMIT 1",
                            (f'$."{alerts.OUTBOX_ROWS}"', card["house"],
                             now_ms - self.cfg.alerts.backlog_window * 1000)).fetchone()
        return before is not None and isinstance(before[0], (int, float)) and rows > before[0]

    def _publish(self, now_ms: int, force: bool) -> None:
        payload = protocol.build_central_alerts(protocol.CentralAlerts(now_ms, tuple(
            protocol.AlertItem(a["house"], a["kind"], a["since"], a["text"], a["text_en"])
            for a in self._open)))
        if force or self._published is None:
            topic = protocol.Topics(self.cfg.mqtt.topic_root).central_alerts()
            if self.collector.link.publish(topic, payload, retain=True) is not None:
                self._published = payload

    def _post(self, body: list) -> None:
        req = urllib.request.Request(self.cfg.alerts.webhook_url, method="POST",
                                     data=json.dumps({"alerts": body}, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.cfg.alerts.webhook_timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("alert webhook failed: %s", exc)


class Central:
    def __init__(self, cfg: CentralConfig):
        self.cfg = cfg
        s = cfg.storage
        self.store = Store(s.location, s.password, s.partition, s.keep)
        rollups.remember_timezone(self.store.db, cfg.reports.timezone)
        self.collector = Collector(cfg, self.store)
        self.monitor = AlertMonitor(cfg, self.store, self.collector)
        self.web = Web(self.store, cfg, Deps(
            health=self.health, alerts=self.monitor.open, send_command=self.send_command,
            ack_help=self.collector.ack_help, cmd_result=self.collector.cmd_result))
        self._stop = threading.Event()

    def health(self) -> dict:
        """What /healthz answers; "degraded" (HTTP 503) says why in `reason`."""
        broker, stall = self.collector.connected, self.collector.watch.stall
        why = ([] if broker else ["broker disconnected"]) + (
            [f"ingest stalled: {stall.reason}"] if stall else [])
        info = {"status": "degraded" if why else "ok", "broker": broker,
                "version": __version__, "stored_total": self.collector.stored_total,
                "rejected": dict(self.collector.rejected)}
        if why:
            info["reason"] = "; ".join(why)
        if stall:
            info["ingest"] = {"stalled_since": stall.since, "held": stall.held,
                              "reason": stall.reason}
        return info

    def send_command(self, house: str, name: str, args: dict) -> str:
        return self.collector.send_command(house, name, args)

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
            if self.monitor.due(time.monotonic()):
                try:
                    self.monitor.evaluate(int(time.time() * 1000))
                except DB_ERRORS as exc:  # the collector says so (and when it is back)
                    log.debug("alerts not evaluated: %s", describe(exc))
                except Exception:  # the shell's loop: alerts must not stop central
                    log.exception("evaluating alerts failed")
        self.web.stop()
        self.collector.stop()
        self.store.close()
        log.info("stopped")
