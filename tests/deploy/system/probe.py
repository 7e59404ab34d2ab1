"""Run inside the deployment test's container with Debian's python3 (standard library only):
asks the dashboard, sends commands through it, and holds many connections to a web port
while counting a process's threads. Prints one JSON object.

  probe.py api USER PASSWORD METHOD PATH [JSON-BODY]
  probe.py get URL
  probe.py flood PORT CONNECTIONS PID
  probe.py commands USER PASSWORD HOUSE COUNT
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


class Staff:
    """A logged-in dashboard session (cookie and CSRF token)."""

    def __init__(self, user: str, password: str):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
        form = urllib.parse.urlencode({"user": user, "password": password}).encode()
        status, _ = request(self.opener, "POST", BASE + "/login", form,
                            {"Content-Type": "application/x-www-form-urlencoded"})
        self.status = status
        self.csrf = (json.loads(request(self.opener, "GET", BASE + "/api/session")[1])["csrf"]
                     if status == 303 else "")

    def call(self, method: str, path: str, body: str = "") -> dict:
        if self.status != 303:
            return {"status": self.status, "error": "login refused"}
        status, data = request(self.opener, method, BASE + path, body.encode() or None,
                               {"Content-Type": "application/json", "X-CSRF-Token": self.csrf})
        try:
            return {"status": status, "body": json.loads(data)}
        except ValueError:
            return {"status": status, "text": data.decode(errors="replace")[:500]}


def api(user: str, password: str, method: str, path: str, body: str = "") -> dict:
    return Staff(user, password).call(method, path, body)


def commands(user: str, password: str, house: str, count: int) -> dict:
    """COUNT `ping` commands sent at once through the dashboard, then every answer awaited:
    how many came back ok, and how long it took."""
    staff = Staff(user, password)
    start = time.monotonic()
    sent = [staff.call("POST", f"/api/houses/{house}/commands",
                       json.dumps({"name": "ping", "args": {}})) for _ in range(count)]
    ids = [s["body"]["req_id"] for s in sent if s.get("status") == 202]
    answers: dict[str, dict] = {}
    while len(answers) < len(ids) and time.monotonic() - start < 60:
        for req_id in ids:
            if req_id not in answers:
                got = staff.call("GET", f"/api/commands/{req_id}").get("body", {})
                if got.get("done"):
                    answers[req_id] = got
        time.sleep(0.2)
    return {"sent": len(ids), "answered": len(answers),
            "ok": sum(1 for a in answers.values() if a.get("ok")),
            "seconds": round(time.monotonic() - start, 1)}


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
    elif cmd == "commands":
        out = commands(args[0], args[1], args[2], int(args[3]))
    elif cmd == "flood":
        out = flood(int(args[0]), int(args[1]), int(args[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
