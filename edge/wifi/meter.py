"""Byte counters per device: deltas that survive counter resets and 32-bit wrap.

Pure: standard library only.
"""
from __future__ import annotations


class ByteMeter:
    """Turns cumulative (rx, tx) counters per pseudonym into deltas."""

    def __init__(self):
        self.last: dict[str, tuple[int, int]] = {}

    def observe(self, pid: str, rx: int | None, tx: int | None, fresh: bool) -> tuple[int, int]:
        """Bytes (up, down) since the previous reading of `pid`.

        A first reading counts in full when the session began in this process (`fresh`);
        otherwise it is only a baseline (a restart must not count a session twice). A
        counter that went down was reset or wrapped (u32 in iw): the new value is the delta.
        """
        if rx is None or tx is None or rx < 0 or tx < 0:
            return 0, 0
        prev = self.last.get(pid)
        self.last[pid] = (rx, tx)
        if prev is None:
            return (rx, tx) if fresh else (0, 0)
        up = rx - prev[0] if rx >= prev[0] else rx
        down = tx - prev[1] if tx >= prev[1] else tx
        return up, down

    def forget(self, pid: str) -> None:
        self.last.pop(pid, None)

    def rename(self, mapping: dict[str, str]) -> None:
        self.last = {mapping[p]: v for p, v in self.last.items() if p in mapping}
