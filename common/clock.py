"""The one clock reading: is the system clock synchronised? (A Pi has no clock battery.)

`read_clock` reads the kernel (adjtimex via ctypes) and systemd-timesyncd's flag file;
`clock_state` judges a reading, and both the agent's stamps (`clock_quality`) and the
`check` line (common.checks.assess_clock) follow it, so they never disagree.
Pure: standard library only (the kernel is read through ctypes).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised
STA_UNSYNC = 0x0040
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
PLAUSIBLE_AFTER_MS = 1_735_689_600_000  # 2025-01-01: earlier than the software's release
SYNCHRONISED, UNSYNCHRONISED, UNKNOWN, IMPLAUSIBLE = (
    "synchronised", "unsynchronised", "unknown", "implausible")


@dataclass(frozen=True)
class ClockReading:
    kernel_synced: bool | None  # None: adjtimex unavailable
    timesyncd_synced: bool
    wall_ms: int


def clock_state(r: ClockReading) -> str:
    """Synchronised when the kernel or timesyncd says so and the time is plausible."""
    if r.wall_ms < PLAUSIBLE_AFTER_MS:
        return IMPLAUSIBLE  # 1970 or a fake-hwclock from before release: never trust it
    if r.kernel_synced or r.timesyncd_synced:
        return SYNCHRONISED
    return UNKNOWN if r.kernel_synced is None else UNSYNCHRONISED


def clock_quality(r: ClockReading) -> str:
    """The `tq` rows are stamped with: 'ntp' only for a synchronised clock."""
    return "ntp" if clock_state(r) == SYNCHRONISED else "none"


class _Timex(ctypes.Structure):
    _fields_ = ([("modes", ctypes.c_uint)] +
                [(n, ctypes.c_long) for n in ("offset", "freq", "maxerror", "esterror")] +
                [("status", ctypes.c_int)] +
                [(n, ctypes.c_long) for n in ("constant", "precision", "tolerance", "time_sec",
                                              "time_usec", "tick", "ppsfreq", "jitter")] +
                [("shift", ctypes.c_int)] +
                [(n, ctypes.c_long) for n in ("stabil", "jitcnt", "calcnt", "errcnt", "stbcnt")] +
                [("tai", ctypes.c_int), ("_pad", ctypes.c_int * 11)] +
                # Spare room past struct timex: a libc with a larger layout writes into it.
                [("_spare", ctypes.c_byte * 256)])


def read_kernel_sync() -> bool | None:
    """adjtimex with modes=0 only reads (no privilege needed); None where it is missing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != TIME_ERROR and not tx.status & STA_UNSYNC


def read_clock(flag: Path = TIMESYNCD_FLAG, wall_s: float | None = None) -> ClockReading:
    """The kernel's and timesyncd's word on the clock, with the wall time (now by default)."""
    wall = time.time() if wall_s is None else wall_s
    return ClockReading(read_kernel_sync(), flag.exists(), int(wall * 1000))


class SystemClock:
    """Reads the clock's quality for the agent's stamps; logs only when it changes."""

    def __init__(self, flag: Path = TIMESYNCD_FLAG):
        self.flag = flag
        self.quality: str | None = None

    def read(self, wall_s: float) -> str:
        quality = clock_quality(read_clock(self.flag, wall_s))
        if quality != self.quality:
            log.info("system clock: %s", "synchronised" if quality == "ntp" else "not synchronised")
            self.quality = quality
        return quality
