"""openwrt source: ubus JSON-RPC over HTTP (`hostapd.*` `get_clients`), read-only rpcd user.

Pure request/reply helpers plus `UbusClients`, which logs in, lists the hostapd objects
and reads their clients on the polling thread, logging in again when the session expires.
Pure: standard library and the Wi-Fi modules only.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from common.checks import CheckLine, check_line

from .config import OpenWrtConfig
from .observations import SourceError, Station
from .privacy import normalize_mac

ANONYMOUS = "0" * 32
UBUS_PERMISSION_DENIED = 6
RPC_ACCESS_DENIED = -32002
MAX_BYTES = 2 * 1024 * 1024


class SessionExpired(SourceError):
    """The rpcd session is gone: log in again."""


def build_call(req_id: int, session: str, obj: str, method: str, args: dict) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": req_id, "method": "call",
                       "params": [session, obj, method, args]}).encode()


def parse_reply(raw: bytes) -> Any:
    """The data of a successful ubus call; SessionExpired or SourceError otherwise."""
    try:
        reply = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SourceError("router sent a reply that is not JSON") from None
    if not isinstance(reply, dict):
        raise SourceError("router sent an unexpected reply")
    error = reply.get("error")
    if isinstance(error, dict):
        if error.get("code") == RPC_ACCESS_DENIED:
            raise SessionExpired("access denied: session expired")
        raise SourceError(f"ubus error {error.get('code')}")
    result = reply.get("result")
    if isinstance(result, list) and result and isinstance(result[0], int):
        if result[0] == UBUS_PERMISSION_DENIED:
            raise SessionExpired("permission denied: session expired or ACL missing")
        if result[0] != 0:
            raise SourceError(f"ubus status {result[0]}")
        return result[1] if len(result) > 1 else {}
    if isinstance(result, list) and all(isinstance(n, str) for n in result):
        return result  # method "list" without params: object paths, no status
    raise SourceError("router sent an unexpected reply")


def parse_clients(data: Any) -> tuple[list[Station], int]:
    """`get_clients` data -> authorized stations, and the count of malformed entries."""
    clients = data.get("clients") if isinstance(data, dict) else None
    if not isinstance(clients, dict):
        return [], 1
    stations, rejected = [], 0
    for key, info in clients.items():
        mac = normalize_mac(key) if isinstance(key, str) else None
        if mac is None or not isinstance(info, dict):
            rejected += 1
            continue
        if info.get("authorized", True) is not True:
            continue
        counters = info.get("bytes") if isinstance(info.get("bytes"), dict) else {}
        rx, tx = counters.get("rx"), counters.get("tx")
        stations.append(Station(mac, rx_bytes=rx if isinstance(rx, int) else None,
                                tx_bytes=tx if isinstance(tx, int) else None))
    return stations, rejected


class UbusClients:
    def __init__(self, cfg: OpenWrtConfig, password: str):
        self.cfg, self.password = cfg, password
        self.session = ""
        self.rejected = 0
        self._id = 0
        # Routers sit on the LAN: never route this through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _post(self, body: bytes) -> Any:
        request = urllib.request.Request(self.cfg.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.cfg.timeout) as reply:
                raw = reply.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise SourceError(f"router answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(f"router unreachable at {self.cfg.url} ({reason})") from None
        if len(raw) > MAX_BYTES:
            raise SourceError("router reply too large")
        return parse_reply(raw)

    def _call(self, obj: str, method: str, args: dict, session: str | None = None) -> Any:
        self._id += 1
        return self._post(build_call(self._id, session or self.session, obj, method, args))

    def login(self) -> None:
        try:
            data = self._call("session", "login", {"username": self.cfg.username,
                                                   "password": self.password}, ANONYMOUS)
        except SessionExpired:
            raise SourceError(f"login refused for rpcd user {self.cfg.username!r}") from None
        session = data.get("ubus_rpc_session") if isinstance(data, dict) else None
        if not isinstance(session, str) or not session:
            raise SourceError("login reply without a session")
        self.session = session

    def objects(self) -> list[str]:
        if self.cfg.objects:
            return list(self.cfg.objects)
        self._id += 1
        # uhttpd's "list" without params needs no session and returns object paths.
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": "list"}).encode()
        listed = self._post(body)
        names = sorted(n for n in listed if isinstance(n, str) and n.startswith("hostapd."))
        if not names:
            raise SourceError("router lists no hostapd.* objects")
        return names

    def fetch(self) -> tuple[Station, ...]:
        for attempt in range(2):
            try:
                if not self.session:
                    self.login()
                out: list[Station] = []
                for obj in self.objects():
                    stations, rejected = parse_clients(self._call(obj, "get_clients", {}))
                    self.rejected += rejected
                    out += stations
                return tuple(out)
            except SessionExpired:
                self.session = ""
                if attempt:
                    raise
        raise SourceError("unreachable")  # pragma: no cover

    def check(self) -> list[CheckLine]:
        return [check_line("wifi.openwrt", bool(self.password),
                           ("check.wifi.openwrt.password", "check.wifi.openwrt.no_password"),
                           "check.wifi.openwrt.fix", url=self.cfg.url)]
