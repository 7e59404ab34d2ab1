"""Central's HTTP server: the staff page and the JSON API (stdlib http.server).

Handlers only read the store through per-thread read-only connections; any error
becomes a clear 4xx/5xx JSON answer, never a traceback to the client.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Callable
from urllib.parse import urlsplit

from .store import Store, list_houses

log = logging.getLogger(__name__)


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Web:
    """Routes requests to small functions that return (status, content type, body)."""

    def __init__(self, store: Store, host: str, port: int, health: Callable[[], dict]):
        self.store = store
        self.health = health
        self.routes = {"/healthz": self.healthz, "/api/houses": self.api_houses,
                       "/": self.index}
        web = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "culturehouse"
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                web.respond(self)

            def do_HEAD(self):  # noqa: N802
                web.respond(self, head=True)

            def log_message(self, fmt, *args):  # access logs stay out of the journal
                log.debug("%s " + fmt, self.address_string(), *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="web", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, head: bool = False) -> None:
        path = urlsplit(handler.path).path
        try:
            route = self.routes.get(path)
            if route is None:
                raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: {path}")
            status, ctype, body = route()
        except HttpError as exc:
            status, ctype = exc.status, "application/json"
            body = json.dumps({"error": exc.message}).encode()
        except sqlite3.Error:
            log.exception("database error on %s", path)
            status, ctype = HTTPStatus.SERVICE_UNAVAILABLE, "application/json"
            body = json.dumps({"error": "database unavailable"}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        handler.send_header("X-Content-Type-Options", "nosniff")
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    @staticmethod
    def _json(obj, status=HTTPStatus.OK):
        return status, "application/json; charset=utf-8", json.dumps(obj, ensure_ascii=False).encode()

    def healthz(self):
        info = self.health()
        self.store.reader().execute("SELECT 1").fetchone()
        return self._json(info)

    def api_houses(self):
        return self._json({"houses": list_houses(self.store.reader())})

    def index(self):
        page = resources.files("central").joinpath("static/index.html").read_bytes()
        return HTTPStatus.OK, "text/html; charset=utf-8", page
