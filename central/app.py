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
from .weblink import WebLink

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
        # The last sample that carried it (samples carry only what changed).
        path = f'$."{alerts.OUTBOX_ROWS}"'
        before = db.execute("SELECT json_extract(body, ?) FROM messages "
                            "WHERE house = ? AND kind = 'telemetry' AND ts <= ? "
                            "AND json_extract(body, ?) IS NOT NULL "
                            "ORDER BY house, kind, ts DESC LIMIT 1",
                            (path, card["house"], now_ms - self.cfg.alerts.backlog_window * 1000,
                             path)).fetchone()
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


# What one central process runs. One process with all three is the default (a commune);
# at scale several `collector` processes share the stream, exactly one also runs `alerts`,
# and `web` processes serve the dashboard from the same database (docs/scale.md).
PARTS = ("collector", "alerts", "web")


def parts_problem(parts: tuple[str, ...]) -> str:
    """Why a set of parts cannot run together ("" when it can)."""
    if not parts or any(p not in PARTS for p in parts):
        return f"parts: choose from {', '.join(PARTS)}"
    if "alerts" in parts and "collector" not in parts:
        return "parts: alerts run beside a collector (they publish through its connection)"
    return ""


class Central:
    def __init__(self, cfg: CentralConfig, parts: tuple[str, ...] = PARTS):
        self.cfg, self.parts = cfg, parts
        s = cfg.storage
        self.store = Store(s.location, s.password, s.partition, s.keep)
        rollups.remember_timezone(self.store.db, cfg.reports.timezone)
        self.collector = Collector(cfg, self.store) if "collector" in parts else None
        self.monitor = AlertMonitor(cfg, self.store, self.collector) if "alerts" in parts \
            else None
        # A dashboard without a collector beside it talks to the broker on its own.
        self.link = WebLink(cfg) if "web" in parts and self.collector is None else None
        self.web = Web(self.store, cfg, self._deps()) if "web" in parts else None
        self._stop = threading.Event()

    def _deps(self) -> Deps:
        if self.collector is not None:
            return Deps(health=self.health, alerts=self.monitor.open if self.monitor else list,
                        send_command=self.collector.send_command,
                        ack_help=self.collector.ack_help, cmd_result=self.collector.cmd_result)
        return Deps(health=self.health, alerts=self.link.alerts,
                    send_command=self.link.send_command, ack_help=self._ack_help_here,
                    cmd_result=self.link.cmd_result)

    def send_command(self, house: str, name: str, args: dict) -> str:
        return self._deps().send_command(house, name, args)

    def _ack_help_here(self, house: str, user: str) -> tuple[int, int | None]:
        """Without a collector in this process, the dashboard writes the HELP ack itself."""
        return self.store.ack_help(house, user, int(time.time() * 1000))

    def health(self) -> dict:
        """What /healthz answers; "degraded" (HTTP 503) says why in `reason`."""
        if self.collector is None:
            broker = self.link.connected
            info = {"status": "ok" if broker else "degraded", "broker": broker,
                    "version": __version__, "parts": list(self.parts)}
            if not broker:
                info["reason"] = "broker disconnected"
            return info
        broker, stall = self.collector.connected, self.collector.watch.stall
        why = ([] if broker else ["broker disconnected"]) + (
            [f"ingest stalled: {stall.reason}"] if stall else [])
        info = {"status": "degraded" if why else "ok", "broker": broker,
                "version": __version__, "stored_total": self.collector.stored_total,
                "rejected": dict(self.collector.rejected), "parts": list(self.parts)}
        if why:
            info["reason"] = "; ".join(why)
        if stall:
            info["ingest"] = {"stalled_since": stall.since, "held": stall.held,
                              "reason": stall.reason}
        return info

    def request_stop(self, reason: str = "signal") -> None:
        log.info("stopping (%s)", reason)
        self._stop.set()

    def run(self, ready=None, watchdog=None) -> None:
        for part in (self.collector, self.link, self.web):
            if part is not None:
                part.start()
        if self.web is not None:
            log.info("central %s: dashboard on http://%s:%d/", __version__, self.cfg.web.host,
                     self.web.port)
        if self.parts != PARTS:
            log.info("running %s", ", ".join(self.parts))
        if ready:
            ready()
        while not self._stop.wait(1.0):
            if watchdog and (self.collector is None or self.collector.writer.is_alive()):
                watchdog()
            if self.monitor is not None and self.monitor.due(time.monotonic()):
                try:
                    self.monitor.evaluate(int(time.time() * 1000))
                except DB_ERRORS as exc:  # the collector says so (and when it is back)
                    log.debug("alerts not evaluated: %s", describe(exc))
                except Exception:  # the shell's loop: alerts must not stop central
                    log.exception("evaluating alerts failed")
        for part in (self.web, self.link, self.collector):
            if part is not None:
                part.stop()
        self.store.close()
        log.info("stopped")
