"""Who may do what on central's web server: requests, sessions, Basic auth, CSRF, throttling.

Used by web.py's dispatcher before any handler runs; stdlib only.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from . import auth

log = logging.getLogger(__name__)
ADDRESS_FACTOR = 4  # an address may fail this many times the per-user limit (several staff)


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: object  # email.message.Message: case-insensitive get()
    body: bytes
    client: str
    params: dict = field(default_factory=dict)
    session: auth.Session | None = None
    lang: str = "vi"

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}



class Access:
    """Sessions, throttled logins and the checks every protected request passes."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.sessions = auth.Sessions(cfg.web.session_idle, cfg.web.session_max)
        self.throttle = auth.LoginThrottle(cfg.web.login_window)
        self._basic_ok: dict[str, tuple[float, str, str]] = {}
        self._proxies = [ipaddress.ip_network(p, strict=False) for p in cfg.web.trusted_proxies]
        # An unknown name costs one scrypt like a known one: answer times tell nothing.
        self._dummy_hash = auth.hash_password(secrets.token_urlsafe(16))

    def client_address(self, req: Request) -> str:
        """The client's address: the peer's, or behind a configured trusted proxy the
        nearest untrusted address of X-Forwarded-For (anyone can send that header)."""
        hops = [req.client]
        if self._is_proxy(req.client):
            forwarded = req.headers.get("X-Forwarded-For") or ""
            hops += [h.strip() for h in reversed(forwarded.split(",")) if h.strip()]
        for hop in hops:
            if not self._is_proxy(hop):
                return hop[:64]
        return hops[-1][:64]

    def _is_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._proxies)

    @staticmethod
    def cookies(req: Request) -> dict:
        jar = SimpleCookie()
        try:
            jar.load(req.headers.get("Cookie") or "")
        except CookieError:
            return {}
        return {k: m.value for k, m in jar.items()}

    def authenticate(self, req: Request, cookies: dict) -> auth.Session:
        session = self.sessions.get(cookies.get("ch_session"), time.monotonic())
        if session is None and (req.headers.get("Authorization") or "").startswith("Basic "):
            session = self._basic(req)
        if session is None:
            if req.path.startswith("/api/") or req.path == "/metrics" or req.method == "POST":
                raise HttpError(HTTPStatus.UNAUTHORIZED, "log in first",
                                {"WWW-Authenticate": 'Basic realm="culturehouse"'}
                                if req.path == "/metrics" else {})
            raise HttpError(HTTPStatus.SEE_OTHER, "log in first", {"Location": "/login"})
        return session

    def _basic(self, req: Request) -> auth.Session | None:
        """HTTP Basic for tools (Prometheus, scripts): read-only requests only."""
        header = req.headers["Authorization"]
        key = hashlib.sha256(header.encode()).hexdigest()
        now = time.monotonic()
        cached = self._basic_ok.get(key)
        if cached is None or cached[0] < now:
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return None
            if not self.check_login(req, user, password):
                return None
            cached = self._basic_ok[key] = (now + 60, user, self.cfg.users[user].role)
        if req.method != "GET":
            raise HttpError(HTTPStatus.FORBIDDEN, "actions need a login session")
        return auth.Session("", "", cached[1], "viewer", now)

    def check_login(self, req: Request, user: str, password: str) -> bool:
        """Throttled per address and per (address, user name): failures elsewhere never
        lock a user out, and one address cannot try many names for long."""
        address = self.client_address(req)
        name = hashlib.sha256(user.encode()).hexdigest()[:16]  # bounded key, no name kept
        limit = self.cfg.web.login_attempts
        keys = [(f"ip:{address}", limit * ADDRESS_FACTOR), (f"ip-user:{address}:{name}", limit)]
        wait = self.throttle.retry_after(keys, time.monotonic())
        if wait > 0:
            raise HttpError(HTTPStatus.TOO_MANY_REQUESTS, "too many failed logins; try later",
                            {"Retry-After": str(int(wait) + 1)})
        entry = self.cfg.users.get(user)
        stored = entry.password_hash if entry is not None else self._dummy_hash
        ok = auth.verify_password(password, stored) and entry is not None
        if ok:
            self.throttle.succeeded([keys[1][0]])
        else:
            self.throttle.failed(keys, time.monotonic())
            log.warning("failed login from %s", address)
        return ok

    @staticmethod
    def check_csrf(req: Request) -> None:
        token = req.headers.get("X-CSRF-Token") or req.form().get("csrf", "")
        if not req.session.csrf or not token or token != req.session.csrf:
            raise HttpError(HTTPStatus.FORBIDDEN, "missing or wrong CSRF token")

    @staticmethod
    def check_origin(req: Request) -> None:
        origin = req.headers.get("Origin")
        # "null" is what sandboxed frames and some redirects send: never our own page.
        if origin and (origin == "null" or urlsplit(origin).netloc != req.headers.get("Host")):
            raise HttpError(HTTPStatus.FORBIDDEN, "request from another site refused")
