"""The Wi-Fi feature: sources in, pseudonymous sessions, telemetry and `wifi.daily` out.

Wires the source threads (which only post observations) to the pure tracker and rollup,
keeps state in SQLite under state_dir/wifi, and holds raw MACs only in memory.
Pure: standard library, edge.feature, the Wi-Fi modules and sqlite3 (its store) only.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Mapping

from common.checks import CheckLine, check_line

from ..feature import CommandOutcome, Feature, FeatureContext, Now
from .config import WifiConfig
from .meter import ByteMeter
from .observations import Connected, Disconnected, Snapshot, SourceHealth, WIFI_ITEMS
from .privacy import Pseudonyms, is_randomized, load_key, new_key, normalize_mac
from .rollup import build_daily
from .sources import Source, build_sources
from .store import WifiStore
from .tracker import Rules, Sighting, Tracker

log = logging.getLogger(__name__)
PERSIST_EVERY = 60.0  # seconds between saving last-seen times of open sessions


class WifiFeature(Feature):
    name = "wifi"
    commands = frozenset({"wifi_status"})
    items = WIFI_ITEMS

    def __init__(self, cfg: WifiConfig, ctx: FeatureContext, timezone: str = "Asia/Ho_Chi_Minh",
                 env: Mapping[str, str] | None = None):
        self.cfg, self.ctx, self.timezone = cfg, ctx, timezone
        self.env = os.environ if env is None else env
        self.dir = Path(ctx.state_dir) / "wifi"
        self.tracker = Tracker(Rules(cfg.reconnect_grace, cfg.missed_snapshots,
                                     cfg.idle_timeout, cfg.reconcile_timeout, timezone))
        self.meter = ByteMeter()
        self.sources: list[Source] = []
        self.health: dict[str, bool] = {}
        self.store: WifiStore | None = None
        self.pseudo: Pseudonyms | None = None
        self.configured_infra: set[str] = set()
        self.day = ""
        self.today: dict[str, bool] = {}  # pid -> new today
        self._next_persist = 0.0
        self._store_ok = True
        self._last_now: Now | None = None

    # ----- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.dir, 0o700)
            self.store = WifiStore(self.dir / "wifi.sqlite3")
        except (OSError, sqlite3.Error) as exc:
            # Counting needs somewhere to keep pseudonyms; the rest of the agent goes on.
            log.error("wifi counting disabled: state directory %s unusable (%s)", self.dir, exc)
            return
        self.sources = build_sources(self.cfg, self.ctx.post, self.env)
        self.health = {name: False for s in self.sources for name in s.names}
        for source in self.sources:
            source.start()

    def stop(self) -> None:
        for source in self.sources:
            source.stop()
        if self.store is not None:
            if self._last_now is not None:
                self._guard(self._save_open, self._last_now)
            self.store.close()
            self.store = None

    def _prepare(self, now: Now) -> None:
        """Work that needs the time: the key, restored sessions, today's devices."""
        key, fresh = load_key(self.dir / "key", now.wall)
        self.pseudo = Pseudonyms(key)
        if fresh:
            self.store.forget_identities()
        for pid, start, last_seen, randomized in self.store.open_rows():
            self.tracker.restore(pid, start, last_seen, randomized, now)
        self._load_infrastructure()
        self.day = self.store.get("day") or self.tracker.local_day(now.wall).isoformat()
        self.today = self.store.devices_on(self.day)

    def _ensure(self, now: Now) -> bool:
        self._last_now = now
        if self.pseudo is None and self.store is not None:
            try:
                self._prepare(now)
            except (OSError, sqlite3.Error) as exc:
                log.error("wifi counting disabled: cannot prepare state (%s)", exc)
                self.store.close()
                self.store = None
        return self.pseudo is not None

    # ----- agent callbacks ---------------------------------------------------------------

    def handle(self, item: object, now: Now) -> bool:
        if not isinstance(item, WIFI_ITEMS):
            return False
        if not self._ensure(now):
            return True
        if isinstance(item, SourceHealth):
            self.health[item.source] = item.ok
        elif isinstance(item, Connected):
            mac = normalize_mac(item.mac)
            if mac:
                self.tracker.connect(self.pseudo(mac), item.source, now, is_randomized(mac))
        elif isinstance(item, Disconnected):
            mac = normalize_mac(item.mac)
            if mac:
                self.tracker.disconnect(self.pseudo(mac), item.source, now)
        elif isinstance(item, Snapshot):
            self._snapshot(item, now)
        self._guard(self._persist, now)
        return True

    def _snapshot(self, item: Snapshot, now: Now) -> None:
        sightings, up, down = [], 0, 0
        for station in item.stations:
            mac = normalize_mac(station.mac)
            if mac is None:
                continue
            pid = self.pseudo(mac)
            session = self.tracker.open.get(pid)
            d_up, d_down = self.meter.observe(pid, station.rx_bytes, station.tx_bytes,
                                              fresh=session is None or session.confirmed)
            up, down = up + d_up, down + d_down
            sightings.append(Sighting(pid, station.inactive_s, station.connected_s,
                                      is_randomized(mac)))
        self.tracker.snapshot(item.source, sightings, now)
        if up or down:
            self._guard(self._add_bytes, now, up, down)

    def tick(self, now: Now) -> None:
        if not self._ensure(now):
            return
        self.tracker.tick(now)
        self._guard(self._persist, now)
        if now.mono >= self._next_persist:
            self._next_persist = now.mono + PERSIST_EVERY
            self._guard(self._save_open, now)
        self._guard(self._rollover, now)

    def metrics(self, now: Now) -> Mapping[str, Any]:
        if not self._ensure(now):
            return {"wifi.source_ok": 0}
        users = [new for pid, new in self.today.items() if pid not in self.tracker.infra]
        store = self.store
        return {
            "wifi.clients": self.tracker.clients(),
            "wifi.sessions.active": self.tracker.active_sessions(),
            "wifi.sessions.total": int(store.number("sessions_total")),
            "wifi.session_seconds.total": int(store.number("session_seconds_total")),
            "wifi.unique.today": len(users),
            "wifi.new.today": sum(users),
            "wifi.returning.today": len(users) - sum(users),
            "wifi.infrastructure": self.tracker.infrastructure_present(),
            "wifi.bytes.total": int(store.number("bytes_total")),
            "wifi.source_ok": int(bool(self.health) and all(self.health.values())),
        }

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        if name != "wifi_status":
            return None
        figures = dict(self.metrics(now))
        down = sorted(n for n, ok in self.health.items() if not ok)
        return CommandOutcome(True, {"clients": figures.get("wifi.clients", 0),
                                     "unique_today": figures.get("wifi.unique.today", 0),
                                     "sources_down": down})

    def check(self) -> list[CheckLine]:
        lines = []
        for source in self.sources or build_sources(self.cfg, lambda _item: None, self.env):
            lines += source.check()
        writable = os.access(self.dir if self.dir.exists() else self.dir.parent, os.W_OK)
        lines.append(check_line("wifi.state", writable, ("check.wifi.state.writable",
                                                         "check.wifi.state.unwritable"),
                                "check.wifi.state.fix", folder=self.dir))
        return lines

    # ----- state -------------------------------------------------------------------------

    def _guard(self, fn, *args) -> None:
        """Store trouble (disk full, corruption) is logged once and never stops counting."""
        try:
            fn(*args)
        except sqlite3.Error as exc:
            if self._store_ok:
                log.error("wifi store failing (%s): figures may be lost until it recovers", exc)
            self._store_ok = False
            return
        if not self._store_ok:
            log.info("wifi store working again")
            self._store_ok = True

    def _persist(self, now: Now) -> None:
        opened, closed = self.tracker.drain()
        if not opened and not closed:
            return
        infra = self.tracker.infra
        with self.store.transaction():
            for part in closed:
                self.store.add_part(part)
                if not part.infra:
                    self.store.add("session_seconds_total", part.seconds)
                if part.pid not in self.tracker.open:
                    self.meter.forget(part.pid)
            for o in opened:
                is_new = self.store.see(o.pid, o.day)
                if o.day == self.day:
                    self.today[o.pid] = self.today.get(o.pid, is_new)
                if not o.continued and o.pid not in infra:
                    self.store.add("sessions_total", 1)
            self._save_open(now)

    def _save_open(self, now: Now) -> None:
        self.store.sync_open(self.tracker.saved_rows(now))

    def _add_bytes(self, now: Now, up: int, down: int) -> None:
        day = self.tracker.local_day(now.wall).isoformat()
        with self.store.transaction():
            self.store.add(f"bytes_up:{day}", up)
            self.store.add(f"bytes_down:{day}", down)
            self.store.add("bytes_total", up + down)

    def _load_infrastructure(self) -> None:
        self.configured_infra = {self.pseudo(mac) for mac in
                                 filter(None, map(normalize_mac, self.cfg.infrastructure))}
        auto = self.store.infrastructure(self.cfg.infrastructure_hours,
                                         self.cfg.infrastructure_days)
        self.tracker.infra = frozenset(self.configured_infra | auto)

    def _rollover(self, now: Now) -> None:
        """Emit `wifi.daily` for each finished local day once its sessions are all closed."""
        today = self.tracker.local_day(now.wall).isoformat()
        if today == self.day and self.store.get("day"):
            return
        rolled = self.store.get("rolled_through")
        oldest_open = self.tracker.oldest_open_day()
        days = sorted({d for d in self.store.part_days() if d < today} |
                      ({self.day} if self.day < today else set()))
        for day in days:
            if rolled and day <= rolled:
                self.store.finish_day(day)  # late rows of a day already reported
                continue
            if oldest_open is not None and oldest_open <= day:
                return  # a session of that day is still deciding (grace, reconcile)
            figures = build_daily(day, self.store.parts(day), self.store.new_pids(day),
                                  self.timezone, self.cfg.bounce,
                                  int(self.store.number(f"bytes_up:{day}")),
                                  int(self.store.number(f"bytes_down:{day}")))
            self.ctx.emit("wifi.daily", figures)
            log.info("wifi day %s: %d devices, %d sessions", day, figures["unique_devices"],
                     figures["sessions"])
            self.store.finish_day(day)
        self.day = today
        self.store.set("day", today)
        self.today = self.store.devices_on(today)
        self._load_infrastructure()
        if self.pseudo.key.age(now.wall) >= self.cfg.key_rotation:
            self._rotate(now)

    def _rotate(self, now: Now) -> None:
        """A new key: open sessions follow their devices; every other pseudonym is dropped."""
        old = self.pseudo
        self.pseudo = Pseudonyms(new_key(self.dir / "key", now.wall))
        mapping = {old(mac): self.pseudo(mac) for mac in old.known_macs()}
        self.tracker.rename(mapping, now)
        self.meter.rename(mapping)
        with self.store.transaction():
            self.store.forget_identities()
            self.store.rename(mapping)
        self._persist(now)
        self.today = {}
        for pid in self.tracker.open:
            self.today[pid] = self.store.see(pid, self.day)
        self._save_open(now)
        self._load_infrastructure()
        log.info("wifi pseudonym key rotated; returning-device counts start afresh")
