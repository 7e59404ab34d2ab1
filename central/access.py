"""Who may do what on central's web server: requests, sessions, Basic auth, CSRF, throttling.

Used by web.py's dispatcher before any handler runs; stdlib only.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from . import auth

log = logging.getLogger(__name__)


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
        self.sessions = auth.Sessions(cfg.web.session_idle)
        self.throttle = auth.LoginThrottle(cfg.web.login_attempts, cfg.web.login_window)
        self._basic_ok: dict[str, tuple[float, str, str]] = {}

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
        keys = [f"ip:{req.client}", f"user:{user}"]
        wait = self.throttle.retry_after(keys, time.monotonic())
        if wait > 0:
            raise HttpError(HTTPStatus.TOO_MANY_REQUESTS, "too many failed logins; try later",
                            {"Retry-After": str(int(wait) + 1)})
        entry = self.cfg.users.get(user)
        ok = entry is not None and auth.verify_password(password, entry.password_hash)
        if ok:
            self.throttle.succeeded([f"user:{user}"])
        else:
            self.throttle.failed(keys, time.monotonic())
            log.warning("failed login from %s", req.client)
        return ok

    @staticmethod
    def check_csrf(req: Request) -> None:
        token = req.headers.get("X-CSRF-Token") or req.form().get("csrf", "")
        if not req.session.csrf or not token or token != req.session.csrf:
            raise HttpError(HTTPStatus.FORBIDDEN, "missing or wrong CSRF token")

    @staticmethod
    def check_origin(req: Request) -> None:
        origin = req.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != req.headers.get("Host"):
            raise HttpError(HTTPStatus.FORBIDDEN, "request from another site refused")
