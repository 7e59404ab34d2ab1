"""The deployment test's check lines: one per check, ✔ or ✘, a name and a short detail."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass


class CheckFailed(Exception):
    """A check's own failure: its detail says what was seen."""


@dataclass(frozen=True)
class Line:
    ok: bool
    name: str
    detail: str
    seconds: float


class Report:
    def __init__(self, out=sys.stdout):
        self.lines: list[Line] = []
        self.out = out

    def check(self, name: str, step, *args):
        """Run step(*args); it returns the detail (or raises CheckFailed / any error)."""
        start = time.monotonic()
        try:
            detail, ok = step(*args), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # a broken step is one ✘ line, and the run goes on
            detail, ok = f"{type(exc).__name__}: {exc}", False
        line = Line(ok, name, str(detail or ""), time.monotonic() - start)
        self.lines.append(line)
        mark = "✔" if ok else "✘"
        first, _, rest = line.detail.partition("\n")
        print(f"{mark} {name}: {first} ({line.seconds:.0f} s)", file=self.out, flush=True)
        if rest and not ok:
            print("    " + rest.replace("\n", "\n    "), file=self.out, flush=True)
        return ok

    @property
    def failed(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]


def expect(condition: bool, detail: str) -> None:
    if not condition:
        raise CheckFailed(detail)
