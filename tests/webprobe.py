"""Raw-socket probes of a web server's limits: idle floods, missing bodies, 413 framing."""
from __future__ import annotations

import socket
import threading
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


def idle_flood_answers(port: int, paths: tuple[str, ...], count: int = 300) -> list[str]:
    """Open `count` idle connections, then GET each path on a new one: the problems found
    (extra threads in this process, a non-200 answer, or one slower than 2 s)."""
    threads_before = threading.active_count()
    idle = open_idle(port, count)
    problems = []
    try:
        time.sleep(0.5)
        # A thread each would pass the unit's TasksMax=128 and take the daemon down.
        if threading.active_count() - threads_before >= 10:
            problems.append(f"{threading.active_count() - threads_before} threads for idle "
                            "connections")
        for path in paths:
            status, seconds = timed_get(port, path)
            if status != 200 or seconds >= 2:
                problems.append(f"{path}: {status} after {seconds:.2f} s")
    finally:
        for sock in idle:
            sock.close()
    return problems


def missing_body_is_closed(port: int, path: str, within: float = 10) -> bool:
    """A POST announcing 100 bytes and sending none gets no answer and is closed."""
    sock, answer = raw_request(port, f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
                                     "Content-Length: 100\r\n\r\n".encode(), timeout=1)
    return answer == b"" and closed_within(sock, within)


def oversized_body_is_refused_and_closed(port: int, path: str, body: bytes,
                                         follow_with: str) -> bool:
    """An over-long form body gets 413 and a closed connection; the request pipelined
    behind it is never parsed out of the unread body."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock, answer = raw_request(port, head + body + f"GET {follow_with} HTTP/1.1\r\n\r\n".encode())
    return answer.startswith(b"HTTP/1.1 413") and closed_within(sock, 5)
