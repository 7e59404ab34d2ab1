"""Serving a WSGI app with waitress: bounded workers, idle timeouts, strict HTTP framing.

The one place a web server is started (central's dashboard, the house's scan page).
waitress reads every request in one I/O thread and hands only complete requests to a
fixed pool of worker threads, so idle or slow connections hold no thread; it refuses an
over-long body with 413 and closes, and handles chunked bodies itself.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from email.message import Message
from typing import Callable, Iterable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServeLimits:
    threads: int = 4  # requests handled at once; the rest wait their turn
    connection_limit: int = 500  # open connections at once; more wait in the backlog
    idle_timeout: int = 30  # seconds a connection may sit without a complete request
    max_body: int = 64 * 1024  # bytes of a request body; larger gets 413 and a close
    max_header: int = 16 * 1024  # bytes of a request's headers


def request_headers(environ: dict) -> Message:
    """The request's headers as a case-insensitive mapping (like http.server's)."""
    headers = Message()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    return headers


def read_body(environ: dict, limit: int) -> bytes:
    """The request body (waitress has already refused one over its limit)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(min(length, limit))


StartResponse = Callable[[str, list], object]
WsgiApp = Callable[[dict, StartResponse], Iterable[bytes]]


class WsgiServer:
    """One WSGI app on host:port, served by waitress on its own thread."""

    def __init__(self, app: WsgiApp, host: str, port: int, name: str,
                 limits: ServeLimits = ServeLimits()):
        from waitress.server import create_server
        self.name = name
        self.server = create_server(
            app, host=host, port=port, threads=limits.threads, ident=name,
            connection_limit=limits.connection_limit, channel_timeout=limits.idle_timeout,
            cleanup_interval=max(1, min(10, limits.idle_timeout // 3)),
            max_request_body_size=limits.max_body, max_request_header_size=limits.max_header,
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            expose_tracebacks=False)
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)  # waitress keeps it as getnameinfo's string

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop accepting, finish or cancel running requests, close every connection."""
        self.server.task_dispatcher.shutdown(timeout=2)
        io_map = self.server._map  # waitress keeps no public handle on its channels

        def close_all() -> None:  # runs in the I/O thread, which then finds nothing to do
            for channel in list(io_map.values()):
                channel.close()

        try:
            self.server.trigger.pull_trigger(close_all)
        except OSError:
            close_all()
        self.thread.join(5)
