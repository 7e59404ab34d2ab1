"""What the steps share: the container, the passwords the set-up made, and small ways of
asking systemd, the dashboard and the database inside."""
from __future__ import annotations

import json
import shlex
import time

from .container import SRC, WHEELS, Container
from .report import CheckFailed

UNITS = ("culturehouse-central", "culturehouse-edge")
HOUSE = "house-01"
OPERATOR = ("deploytest", "deploy-test-password")
# docs/deploy.md, "Installing without internet": pip takes everything from the wheelhouse.
PIP_ARGS = f"--no-index --find-links {WHEELS}"
PROBE = f"/usr/bin/python3 {SRC}/tests/deploy/system/probe.py"
DATABASE = "/var/lib/culturehouse-central/central.sqlite"


class Deployment:
    def __init__(self, box: Container):
        self.box = box
        self.passwords: dict[str, str] = {}

    def sh(self, script: str, **kw):
        return self.box.sh(script, **kw)

    def show(self, unit: str, *props: str) -> dict[str, str]:
        out = self.sh(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def main_pid(self, unit: str) -> int:
        return int(self.show(unit, "MainPID")["MainPID"])

    def probe(self, *args: str) -> dict:
        out = self.sh(PROBE + " " + " ".join(shlex.quote(a) for a in args), timeout=120).stdout
        return json.loads(out)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        answer = self.probe("api", *OPERATOR, method, path, json.dumps(body) if body else "")
        if answer.get("status") not in (200, 202):
            raise CheckFailed(f"{method} {path}: {answer}")
        return answer["body"]

    def card(self) -> dict:
        return self.api("GET", f"/api/houses/{HOUSE}")

    def press(self, button: str) -> str:
        answer = self.api("POST", f"/api/houses/{HOUSE}/commands",
                          {"name": "press", "args": {"button": button}})
        return answer["req_id"]

    def wait_event(self, kind: str, after_ts: int, timeout: float = 90,
                   match=lambda data: True) -> dict:
        """The first event of `kind` central stored with ts >= after_ts."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while time.monotonic() < deadline:
            events = self.card()["events"]
            seen = [e["type"] for e in events if e["ts"] >= after_ts]
            for event in events:
                if event["type"] == kind and event["ts"] >= after_ts and match(event["data"]):
                    return event
            time.sleep(2)
        raise CheckFailed(f"no {kind} at central within {timeout:.0f} s; events since: {seen}")

    def wait(self, what: str, condition, timeout: float, every: float = 1.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = condition()
            if last:
                return last
            time.sleep(every)
        raise CheckFailed(f"{what}: not within {timeout:.0f} s (last: {last!r})")

    def sql(self, query: str) -> str:
        # As the service user: a root-owned -wal or -shm file would lock central out.
        return self.sh(f"runuser -u culturehouse -- sqlite3 {DATABASE} {shlex.quote(query)}"
                       ).stdout.strip()

    def now_ms(self) -> int:
        return int(self.sh("date +%s%3N").stdout.strip())
