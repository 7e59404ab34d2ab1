"""Run inside the deployment test's container with Debian's python3 (standard library only):
asks the dashboard, sends commands through it, and holds many connections to a web port
while counting a process's threads. Prints one JSON object.

  probe.py api USER PASSWORD METHOD PATH [JSON-BODY]
  probe.py get URL
  probe.py flood PORT CONNECTIONS PID
"""
from __future__ import annotations

import http.cookiejar
import json
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = "http://127.0.0.1:8080"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(opener, method: str, url: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def api(user: str, password: str, method: str, path: str, body: str = "") -> dict:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    form = urllib.parse.urlencode({"user": user, "password": password}).encode()
    status, _ = request(opener, "POST", BASE + "/login", form,
                        {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        return {"status": status, "error": "login refused"}
    csrf = json.loads(request(opener, "GET", BASE + "/api/session")[1])["csrf"]
    status, data = request(opener, method, BASE + path, body.encode() or None,
                           {"Content-Type": "application/json", "X-CSRF-Token": csrf})
    try:
        return {"status": status, "body": json.loads(data)}
    except ValueError:
        return {"status": status, "text": data.decode(errors="replace")[:500]}


def get(url: str) -> dict:
    status, data = request(urllib.request.build_opener(NoRedirect), "GET", url)
    return {"status": status, "text": data.decode(errors="replace")[:2000]}


def threads(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def flood(port: int, connections: int, pid: int) -> dict:
    """Threads idle, then the most seen while CONNECTIONS clients each hold a connection
    with half a request (a slow or stalled phone), and whether a full request still gets
    an answer meanwhile."""
    idle = threads(pid)
    held = []
    for _ in range(connections):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            held.append(s)
        except OSError:
            break
    peak = idle
    for _ in range(20):
        peak = max(peak, threads(pid))
        time.sleep(0.1)
    answered = get(f"http://127.0.0.1:{port}/")["status"]
    peak = max(peak, threads(pid))
    for s in held:
        s.close()
    return {"idle": idle, "peak": peak, "held": len(held), "answered": answered}


def main(argv: list[str]) -> int:
    cmd, args = argv[0], argv[1:]
    if cmd == "api":
        out = api(*args)
    elif cmd == "get":
        out = get(args[0])
    elif cmd == "flood":
        out = flood(int(args[0]), int(args[1]), int(args[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
