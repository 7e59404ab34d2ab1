"""Raw-socket probes of a web server's limits: idle floods, missing bodies, 413 framing."""
from __future__ import annotations

import socket
import time

LOOPBACK = "127.0.0.1"


def open_idle(port: int, count: int) -> list[socket.socket]:
    """`count` connections that never send a byte."""
    return [socket.create_connection((LOOPBACK, port), timeout=5) for _ in range(count)]


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True if the server closes `sock` within `seconds` (reads drain any answer first)."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> tuple[socket.socket, bytes]:
    """Send raw bytes; return the socket and the first answer's bytes (status line on)."""
    sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    sock.sendall(data)
    answer = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break  # no answer (yet): the caller decides what that means
        if not chunk:
            break
        answer += chunk
    return sock, answer


def timed_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, float]:
    """(status code, seconds) of a plain GET on a new connection."""
    start = time.monotonic()
    sock, answer = raw_request(port, f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
                                     "Connection: close\r\n\r\n".encode(), timeout)
    sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.monotonic() - start
