"""Pickup codes: one short secret per finished scan, and the budgets that bound guessing it.

A wrong guess could have been aimed at any live code, so it is charged to every one of
them; a code that has absorbed `per_scan` wrong guesses stops working. Time is passed in.
Pure: standard library only.
"""
from __future__ import annotations

import hmac
import secrets
import types
from dataclasses import dataclass, field, replace
from typing import Callable, Collection, Iterable, Mapping

CODE_DIGITS = 6
CODE_SPACE = 10 ** CODE_DIGITS
MAX_ADDRESSES = 512  # addresses whose recent guesses are remembered (a fixed-size table)


@dataclass(frozen=True)
class PickupScan:
    """A scan on the page: its file name, when it was made, and its pickup code."""

    name: str
    made: float  # wall clock of the scan's job: retention counts from here, not the file
    code: str = ""  # "" until the scan is finished
    spent: bool = False  # picked up once: the code works no more
    wrong: int = 0  # wrong guesses made while the code was live

    def is_live(self, per_scan: int) -> bool:
        """Whether the code still opens the scan."""
        return bool(self.code) and not self.spent and self.wrong < per_scan


@dataclass(frozen=True)
class PickupSpent:
    """Posted by the scan page: this scan's code was used (the store remembers it)."""

    name: str


@dataclass(frozen=True)
class PickupMissed:
    """Posted by the scan page: a wrong code was tried (charged to every live code)."""


def new_code(taken: Collection[str], draw: Callable[[int], int] = secrets.randbelow) -> str:
    """A code of CODE_DIGITS digits that no scan on record holds."""
    if len(taken) >= CODE_SPACE // 2:
        raise ValueError("too many pickup codes on record")
    while True:
        code = f"{draw(CODE_SPACE):0{CODE_DIGITS}d}"
        if code not in taken:
            return code


def read_code(typed: str) -> str | None:
    """The code a citizen typed (spaces and dashes allowed between digits), or None."""
    digits = "".join(ch for ch in typed if ch not in " -")
    if len(typed) <= 32 and len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def spell(code: str) -> str:
    """A code as shown and read aloud: two groups of three digits."""
    return f"{code[:3]} {code[3:]}" if len(code) == 6 else code


def match(scans: Iterable[PickupScan], code: str, per_scan: int) -> PickupScan | None:
    """The live scan this code opens; every live code is compared (no early exit)."""
    found = None
    for scan in scans:
        if scan.is_live(per_scan) and hmac.compare_digest(scan.code.encode(), code.encode()):
            found = scan
    return found


def charge(scans: Mapping[str, PickupScan], per_scan: int) -> dict[str, PickupScan]:
    """After a wrong guess: one more against every live code."""
    return {name: replace(s, wrong=s.wrong + 1) if s.is_live(per_scan) else s
            for name, s in scans.items()}


# ----- guessing budgets ----------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    """Wrong guesses allowed within any `window` seconds: from one address, and overall."""

    per_address: int
    overall: int
    window: float


@dataclass(frozen=True)
class Guesses:
    """Times (monotonic) of the recent wrong guesses, overall and by client address."""

    overall: tuple[float, ...] = ()
    by_address: Mapping[str, tuple[float, ...]] = field(
        default_factory=lambda: types.MappingProxyType({}))


def _recent(times: tuple[float, ...], now: float, window: float) -> tuple[float, ...]:
    return tuple(t for t in times if now - t < window)


def wait_before_guess(g: Guesses, budget: Budget, client: str, now: float) -> float:
    """Seconds until `client` may try a guess (0: now); either budget may be the full one."""
    waits = []
    for times, limit in ((_recent(g.overall, now, budget.window), budget.overall),
                         (_recent(g.by_address.get(client, ()), now, budget.window),
                          budget.per_address)):
        if len(times) >= limit:
            waits.append(times[-limit] + budget.window - now)
    return max(waits, default=0.0)


def after_wrong(g: Guesses, budget: Budget, client: str, now: float) -> Guesses:
    """The budgets with one more wrong guess from `client`; the address table stays bounded."""
    table = {addr: kept for addr, times in g.by_address.items()
             if (kept := _recent(times, now, budget.window))}
    table[client] = table.get(client, ()) + (now,)
    while len(table) > MAX_ADDRESSES:  # forget the quietest; the overall budget still holds
        del table[min(table, key=lambda addr: table[addr][-1])]
    return Guesses(_recent(g.overall, now, budget.window) + (now,),
                   types.MappingProxyType(table))
