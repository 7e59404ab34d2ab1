"""ScanPage: the local scan page on the house LAN, a WSGI app on the shared server.

Anyone in the allowed subnets may fetch one scan with its one-time pickup code; the list
of scans (with their codes) is for the house PC's address or a staff PIN session only.
Pages are Jinja2 templates next to this module (autoescaped), words the shared catalogue.
"""
from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from dataclasses import replace
from datetime import datetime
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs

import jinja2

from common.httpserve import ServeLimits, WsgiServer, read_body
from common.i18n import LANGS, pick, text

from . import pdf, pickup
from .config import WebConfig
from .page_access import (SESSION_SECONDS, RefusalLog, StaffSessions, client_ip, cookie,
                          is_allowed)
from .pickup import Budget, Guesses, PickupMissed, PickupScan, PickupSpent

log = logging.getLogger(__name__)
COOKIE = "ch_scan"
PIN_BUDGET = Budget(per_address=5, overall=10, window=3600.0)  # wrong PINs per hour
MAX_BODY, MAX_FIELD = 4096, 64
HEADERS = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
           ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self';"
            " form-action 'self'; frame-ancestors 'none'; base-uri 'none'")]
HTML = "text/html; charset=utf-8"


class BadRequest(ValueError):
    """Input the page cannot read; `what` goes into the (throttled) log line."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class ScanPage:
    """The scan page: its routes, the pickup codes on show and the guessing budgets."""

    def __init__(self, cfg: WebConfig, output_dir: Path, thumbs_dir: Path, language: str,
                 pin: str = "", retention_hours: float = 2.0,
                 post: Callable[[object], None] = lambda item: None):
        self.cfg = cfg
        self.output_dir, self.thumbs_dir = Path(output_dir), Path(thumbs_dir)
        self.language = pick(language)
        self.pin = pin
        self.retention_hours = retention_hours
        self.post = post  # to the agent's main queue: the job store records spent codes
        self.budget = Budget(cfg.guesses_per_address, cfg.guesses_per_minute, 60.0)
        self._staff = frozenset(client_ip(a) for a in cfg.staff_addresses)
        self.clock = time.monotonic  # guess budgets count by it (tests move it on)
        self.sessions = StaffSessions()
        self.refusals = RefusalLog(lambda: self.clock())
        self._lock = threading.Lock()
        self._scans: dict[str, PickupScan] = {}
        self._guesses, self._pin_guesses = Guesses(), Guesses()
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("edge.scanning", "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self._style = resources.files("edge.scanning").joinpath(
            "templates/style.css").read_bytes()
        self.server: WsgiServer | None = None

    @property
    def port(self) -> int:
        return self.server.port if self.server else self.cfg.port

    def start(self) -> None:
        self.server = WsgiServer(self, self.cfg.address, self.cfg.port, "scan-page", ServeLimits(
            threads=4, connection_limit=500, idle_timeout=int(self.cfg.idle_timeout),
            max_body=MAX_BODY, max_header=8 * 1024))
        self.server.start()
        log.info("scan page on http://%s:%d/", self.cfg.address, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    # ----- the display path: scans and their codes, from the scan feature -----------------
    def load(self, scans: list[PickupScan]) -> None:
        with self._lock:
            self._scans = {s.name: s for s in scans if s.code}

    def show(self, scan: PickupScan) -> None:
        """A finished scan's code: on the house PC's list from now on."""
        with self._lock:
            self._scans[scan.name] = scan

    def forget(self, names) -> None:
        with self._lock:
            for name in names:
                self._scans.pop(name, None)

    # ----- WSGI -------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response) -> list[bytes]:
        lang, extra = self.language, []
        try:
            lang = self._lang(environ.get("QUERY_STRING", ""))
            status, ctype, body, extra = self._route(environ, lang)
        except BadRequest as exc:
            self.refusals.note(exc.what)
            status, ctype, body = self._render(HTTPStatus.BAD_REQUEST, lang, "message.html",
                                               "/", message=text(lang, "scan_page.bad_request"))
        except Exception:  # a bug: the client still gets an answer, the journal the details
            log.exception("scan page request failed")
            status, ctype, body = HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", b"error"
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *HEADERS,
                   *extra]
        start_response(f"{int(status)} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _lang(self, query: str) -> str:
        try:
            asked = parse_qs(query, max_num_fields=8).get("lang", [""])[0]
        except ValueError:
            raise BadRequest("a garbled query string") from None
        return asked if asked in LANGS else self.language

    def _route(self, environ: dict, lang: str):
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        client = environ.get("REMOTE_ADDR", "")
        if not is_allowed(client, self.cfg.allowed_subnets):
            return (*self._render(HTTPStatus.FORBIDDEN, lang, "message.html", "/",
                                  message=text(lang, "scan_page.denied")), [])
        if method in ("GET", "HEAD"):
            if path == "/style.css":
                return HTTPStatus.OK, "text/css; charset=utf-8", self._style, []
            staff, extra = self._is_staff(client, environ.get("HTTP_COOKIE", ""))
            if path == "/":
                page = self._staff_page(lang) if staff else self._pickup_form(HTTPStatus.OK, lang)
                return (*page, extra)
            if path == "/login" and self.pin:
                return (*self._pin_form(HTTPStatus.OK, lang), extra)
            stored = self._stored(path)
            if stored is not None and not staff:
                return (*self._staff_only(lang), extra)
            if stored is not None:
                status, ctype, body, more = self._file(*stored, lang)
                return status, ctype, body, more + extra
        if method == "POST" and path == "/pickup":
            return self._pickup(environ, client, lang)
        if method == "POST" and path == "/login" and self.pin:
            return self._login(environ, client, lang)
        allow = {"/": "GET, HEAD", "/style.css": "GET, HEAD", "/pickup": "POST",
                 **({"/login": "GET, HEAD, POST"} if self.pin else {})}.get(path)
        if allow:
            return (HTTPStatus.METHOD_NOT_ALLOWED, "text/plain", b"method not allowed",
                    [("Allow", allow)])
        return (*self._not_found(lang), [])

    # ----- who is staff -------------------------------------------------------------------
    def _is_staff(self, client: str, cookies: str) -> tuple[bool, list]:
        """(staff?, headers to add): the house PC by address, or a valid PIN session."""
        if client_ip(client) in self._staff:
            return True, []
        value = cookie(cookies, COOKIE)
        if value is None or not self.pin:
            return False, []
        if self.sessions.is_valid(value):
            return True, []
        self.refusals.note("a forged or expired session cookie")
        return False, [("Set-Cookie", f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict")]

    # ----- forms --------------------------------------------------------------------------
    def _form(self, environ: dict) -> dict[str, str]:
        kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if kind not in ("", "application/x-www-form-urlencoded"):
            raise BadRequest("a form in another encoding")
        try:
            fields = parse_qs(read_body(environ, MAX_BODY).decode("utf-8"), max_num_fields=4,
                              errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("a garbled form") from None
        if any(len(values) > 1 or len(values[0]) > MAX_FIELD for values in fields.values()):
            raise BadRequest("an over-long or repeated form field")
        return {key: values[0] for key, values in fields.items()}

    def _pickup(self, environ: dict, client: str, lang: str):
        code = pickup.read_code(self._form(environ).get("code", ""))
        if code is None:
            return (*self._pickup_form(HTTPStatus.BAD_REQUEST, lang, "scan_page.pickup_bad"), [])
        per_scan, now = self.cfg.guesses_per_scan, self.clock()
        with self._lock:
            wait = pickup.wait_before_guess(self._guesses, self.budget, client, now)
            scan = None if wait else pickup.match(self._scans.values(), code, per_scan)
            if not wait and scan is None:
                self._guesses = pickup.after_wrong(self._guesses, self.budget, client, now)
                self._scans = pickup.charge(self._scans, per_scan)
            elif scan is not None:
                self._scans[scan.name] = replace(scan, spent=True)
        if wait:
            self.refusals.note("pickup codes tried faster than allowed")
            return (*self._pickup_form(HTTPStatus.TOO_MANY_REQUESTS, lang, "scan_page.locked"),
                    [("Retry-After", str(math.ceil(wait)))])
        if scan is None:
            self.post(PickupMissed())
            self.refusals.note("a wrong pickup code")
            return (*self._pickup_form(HTTPStatus.FORBIDDEN, lang, "scan_page.pickup_wrong"), [])
        self.post(PickupSpent(scan.name))
        log.info("scan page: a scan was picked up with its code")
        try:
            body = (self.output_dir / scan.name).read_bytes()
        except OSError:
            return (*self._render(HTTPStatus.GONE, lang, "message.html", "/",
                                  message=text(lang, "scan_page.pickup_gone")), [])
        return HTTPStatus.OK, "application/pdf", body, [
            ("Content-Disposition", f'attachment; filename="{scan.name}"')]

    def _login(self, environ: dict, client: str, lang: str):
        attempt, now = self._form(environ).get("pin", ""), self.clock()
        with self._lock:
            wait = pickup.wait_before_guess(self._pin_guesses, PIN_BUDGET, client, now)
            ok = not wait and hmac.compare_digest(attempt.encode(), self.pin.encode())
            if not wait and not ok:
                self._pin_guesses = pickup.after_wrong(self._pin_guesses, PIN_BUDGET, client, now)
        if wait:
            self.refusals.note("staff PINs tried faster than allowed")
            return (*self._pin_form(HTTPStatus.TOO_MANY_REQUESTS, lang, "scan_page.locked"),
                    [("Retry-After", str(math.ceil(wait)))])
        if not ok:
            self.refusals.note("a wrong staff PIN")
            return (*self._pin_form(HTTPStatus.FORBIDDEN, lang, "scan_page.wrong"), [])
        log.info("scan page: staff PIN accepted")
        flags = f"Max-Age={SESSION_SECONDS}; Path=/; HttpOnly; SameSite=Strict"
        return HTTPStatus.SEE_OTHER, "text/plain", b"", [
            ("Location", f"/?lang={lang}"),
            ("Set-Cookie", f"{COOKIE}={self.sessions.issue()}; {flags}")]

    # ----- pages --------------------------------------------------------------------------
    def _render(self, status, lang: str, template: str, here: str, **context):
        page = self._templates.get_template(template).render({
            "lang": lang, "other": "en" if lang == "vi" else "vi", "here": here, "refresh": 0,
            "hours": f"{self.retention_hours:g}", "message": "", "pin": bool(self.pin),
            "t": lambda key, **params: text(lang, key, **params), **context})
        return status, HTML, page.encode()

    def _pickup_form(self, status, lang: str, message: str = ""):
        return self._render(status, lang, "pickup.html", "/",
                            message=text(lang, message) if message else "")

    def _pin_form(self, status, lang: str, message: str = ""):
        return self._render(status, lang, "pin.html", "/login",
                            message=text(lang, message) if message else "")

    def _not_found(self, lang: str):
        return self._render(HTTPStatus.NOT_FOUND, lang, "message.html", "/",
                            message=text(lang, "scan_page.not_found"))

    def _staff_only(self, lang: str):
        if self.pin:
            return self._pin_form(HTTPStatus.UNAUTHORIZED, lang)
        return self._render(HTTPStatus.FORBIDDEN, lang, "message.html", "/",
                            message=text(lang, "scan_page.staff_only"))

    def _staff_page(self, lang: str):
        with self._lock:
            codes = dict(self._scans)
        per_scan, rows = self.cfg.guesses_per_scan, []
        for f in pdf.recent_scans(self.output_dir, self.cfg.recent):
            scan = codes.get(f.name)
            state = "" if scan is None or not scan.code else "live" if scan.is_live(per_scan) \
                else "spent" if scan.spent else "retired"
            when = datetime.fromtimestamp(scan.made if scan else f.mtime).strftime("%H:%M %d/%m")
            rows.append({"name": f.name, "stem": f.name[:-4], "kb": f.size // 1024, "when": when,
                         "thumb": (self.thumbs_dir / (f.name[:-4] + ".jpg")).exists(),
                         "state": state, "code": pickup.spell(scan.code) if scan else ""})
        newest = next((r for r in rows if r["state"] == "live"), None)
        return self._render(HTTPStatus.OK, lang, "staff.html", "/", scans=rows, newest=newest,
                            refresh=15)

    def _stored(self, path: str) -> tuple[Path, str, list] | None:
        """(file, type, headers) of the scan or thumbnail a path names in our naming."""
        name = path.removeprefix("/files/")
        if name != path and pdf.SCAN_NAME.fullmatch(name):
            return (self.output_dir / name, "application/pdf",
                    [("Content-Disposition", f'attachment; filename="{name}"')])
        stem = path[len("/thumbs/"):-len(".jpg")]
        if path.startswith("/thumbs/") and path.endswith(".jpg") and \
                pdf.SCAN_NAME.fullmatch(stem + ".pdf"):
            return self.thumbs_dir / (stem + ".jpg"), "image/jpeg", []
        return None

    def _file(self, path: Path, ctype: str, extra: list, lang: str):
        try:
            return HTTPStatus.OK, ctype, path.read_bytes(), extra
        except OSError:
            return (*self._not_found(lang), [])
