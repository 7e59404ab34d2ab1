"""HttpScanPage: the local scan page (recent scans, thumbnails, downloads) on the house LAN.

Standard library http.server on its own threads; it only reads the output folder.
Access: client address in the allowed subnets, then an optional PIN (cookie session).
"""
from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import logging
import secrets
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from common.i18n import LANGS, pick, text

from . import pdf
from .config import WebConfig

log = logging.getLogger(__name__)
COOKIE = "ch_scan"
SESSION_SECONDS = 2 * 3600
MAX_FAILURES, LOCKOUT_SECONDS = 5, 300

_STYLE = ("body{font-family:sans-serif;margin:1em;font-size:18px}li{list-style:none;margin:.6em 0;"
          "display:flex;gap:1em;align-items:center}img{width:120px;border:1px solid #ccc}"
          "a.btn{padding:.5em 1em;background:#1565c0;color:#fff;border-radius:6px;text-decoration:none}")


def is_allowed(address: str, subnets: tuple[str, ...]) -> bool:
    """Whether a client address lies in one of the subnets (IPv4-mapped IPv6 included)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(net, strict=False) for net in subnets)


class HttpScanPage:
    def __init__(self, cfg: WebConfig, output_dir: Path, thumbs_dir: Path, language: str,
                 pin: str = "", retention_hours: float = 2.0):
        self.cfg = cfg
        self.output_dir = Path(output_dir)
        self.thumbs_dir = Path(thumbs_dir)
        self.language = pick(language)
        self.pin = pin
        self.retention_hours = retention_hours
        self._secret = secrets.token_bytes(32)
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1] if self.server else self.cfg.port

    def start(self) -> None:
        page = self

        class Handler(_Handler):
            owner = page

        self.server = ThreadingHTTPServer((self.cfg.address, self.cfg.port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="scan-page",
                                        daemon=True)
        self._thread.start()
        log.info("scan page on http://%s:%d/", self.cfg.address, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # ----- PIN sessions ------------------------------------------------------------------
    def token(self, issued: int) -> str:
        mac = hmac.new(self._secret, str(issued).encode(), hashlib.sha256).hexdigest()[:32]
        return f"{issued}.{mac}"

    def valid_token(self, value: str) -> bool:
        issued, _, _mac = value.partition(".")
        if not issued.isdigit() or time.time() - int(issued) > SESSION_SECONDS:
            return False
        return hmac.compare_digest(self.token(int(issued)), value)

    def try_pin(self, client: str, attempt: str) -> str:
        """"ok", "wrong" or "locked"; a client is locked out after repeated wrong PINs."""
        with self._lock:
            count, since = self._failures.get(client, (0, 0.0))
            if count >= MAX_FAILURES and time.monotonic() - since < LOCKOUT_SECONDS:
                return "locked"
            if hmac.compare_digest(attempt.encode(), self.pin.encode()):
                self._failures.pop(client, None)
                return "ok"
            self._failures[client] = (count + 1 if count < MAX_FAILURES else 1, time.monotonic())
            return "wrong"


class _Handler(BaseHTTPRequestHandler):
    owner: HttpScanPage
    server_version = "culturehouse-scan"
    sys_version = ""

    def log_message(self, fmt, *args) -> None:
        # http.server would print request paths (file names) to stderr: keep them out of logs.
        log.debug("scan page request from a client: %s", args[1] if len(args) > 1 else "")

    def _lang(self, query: dict) -> str:
        lang = query.get("lang", [""])[0]
        return lang if lang in LANGS else self.owner.language

    def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(code)
        headers = {"Content-Type": ctype, "Content-Length": str(len(body)),
                   "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                   "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'"}
        for key, value in {**headers, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _page(self, code: int, lang: str, inner: str, extra: dict | None = None) -> None:
        title = text(lang, "scan_page.title")
        other = "en" if lang == "vi" else "vi"
        doc = (f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
               f"<meta name=\"viewport\" content=\"width=device-width\">"
               f"<meta http-equiv=\"refresh\" content=\"15\"><title>{title}</title>"
               f"<style>{_STYLE}</style></head><body><p><a href=\"/?lang={other}\">"
               f"{text(lang, 'other_language')}</a></p><h1>{title}</h1>{inner}</body></html>")
        self._send(code, doc.encode(), "text/html; charset=utf-8", extra)

    def _allowed(self) -> bool:
        return is_allowed(self.client_address[0], self.owner.cfg.allowed_subnets)

    def _authenticated(self) -> bool:
        if not self.owner.pin:
            return True
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and self.owner.valid_token(value):
                return True
        return False

    def _login_form(self, code: int, lang: str, message: str = "") -> None:
        note = f"<p><b>{message}</b></p>" if message else ""
        self._page(code, lang, f"{note}<form method=\"post\" action=\"/login?lang={lang}\">"
                   f"<label>{text(lang, 'scan_page.pin')} <input name=\"pin\" type=\"password\" "
                   f"inputmode=\"numeric\" autocomplete=\"off\"></label> "
                   f"<button>{text(lang, 'scan_page.enter')}</button></form>")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._safely(self._get)

    def do_POST(self) -> None:
        self._safely(self._post)

    def _safely(self, handler) -> None:
        """A bug or a broken request still gets an answer; the details go to the log only."""
        try:
            handler()
        except (ConnectionError, TimeoutError):
            pass  # the phone went away
        except Exception:
            log.exception("scan page request failed")
            try:
                self._send(500, b"internal error", "text/plain")
            except OSError:
                pass

    def _get(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        lang = self._lang(query)
        if not self._allowed():
            self._send(403, text(lang, "scan_page.denied").encode(), "text/plain; charset=utf-8")
            return
        if not self._authenticated():
            self._login_form(401, lang)
            return
        if url.path == "/":
            self._list(lang)
        elif url.path.startswith("/files/") and pdf.SCAN_NAME.match(url.path[7:]):
            name = url.path[7:]
            self._file(self.owner.output_dir / name, "application/pdf",
                       {"Content-Disposition": f"attachment; filename=\"{name}\""})
        elif url.path.startswith("/thumbs/") and pdf.SCAN_NAME.match(url.path[8:-4] + ".pdf"):
            self._file(self.owner.thumbs_dir / url.path[8:], "image/jpeg")
        else:
            self._send(404, b"not found", "text/plain")

    def _post(self) -> None:
        url = urlsplit(self.path)
        lang = self._lang(parse_qs(url.query))
        if not self._allowed():
            self._send(403, text(lang, "scan_page.denied").encode(), "text/plain; charset=utf-8")
            return
        if url.path != "/login" or not self.owner.pin:
            self._send(404, b"not found", "text/plain")
            return
        try:
            length = max(0, min(int(self.headers.get("Content-Length") or 0), 1024))
        except ValueError:
            self._send(400, b"bad Content-Length", "text/plain")
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        outcome = self.owner.try_pin(self.client_address[0], form.get("pin", [""])[0])
        if outcome != "ok":
            log.warning("scan page: %s PIN attempt", "blocked" if outcome == "locked" else "wrong")
            self._login_form(429 if outcome == "locked" else 403, lang,
                             text(lang, f"scan_page.{outcome}"))
            return
        cookie = (f"{COOKIE}={self.owner.token(int(time.time()))}; Max-Age={SESSION_SECONDS}; "
                  "Path=/; HttpOnly; SameSite=Strict")
        self._send(303, b"", "text/plain", {"Location": f"/?lang={lang}", "Set-Cookie": cookie})

    def _list(self, lang: str) -> None:
        scans = pdf.recent_scans(self.owner.output_dir, self.owner.cfg.recent)
        download = text(lang, "scan_page.download")
        items = []
        for f in scans:
            when = datetime.fromtimestamp(f.mtime).strftime("%H:%M %d/%m")
            name = html.escape(f.name)
            thumb = self.owner.thumbs_dir / (f.name[:-4] + ".jpg")
            img = f"<img alt=\"\" src=\"/thumbs/{name[:-4]}.jpg\">" if thumb.exists() else ""
            items.append(f"<li>{img}<span>{when} · {f.size // 1024} KB</span>"
                         f"<a class=\"btn\" href=\"/files/{name}\">{download}</a></li>")
        body = f"<ul>{''.join(items)}</ul>" if items else f"<p>{text(lang, 'scan_page.none')}</p>"
        note = text(lang, "scan_page.note", hours=f"{self.owner.retention_hours:g}")
        self._page(200, lang, body + f"<p><small>{note}</small></p>")

    def _file(self, path: Path, ctype: str, extra: dict | None = None) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, body, ctype, extra)
