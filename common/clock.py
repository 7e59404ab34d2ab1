"""Is the system clock synchronised? (A Pi has no clock battery: until NTP, time is a guess.)

`clock_quality` is the pure decision; `SystemClock` reads the kernel (adjtimex via ctypes)
and systemd-timesyncd's flag file. Standard library only.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised
STA_UNSYNC = 0x0040
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
PLAUSIBLE_AFTER_MS = 1_735_689_600_000  # 2025-01-01: earlier than the software's release


@dataclass(frozen=True)
class ClockReading:
    kernel_synced: bool | None  # None: adjtimex unavailable
    timesyncd_synced: bool
    wall_ms: int


def clock_quality(r: ClockReading) -> str:
    """'ntp' when the kernel or timesyncd says synchronised and the time is plausible."""
    if r.wall_ms < PLAUSIBLE_AFTER_MS:
        return "none"  # 1970 or a fake-hwclock from before release: never trust it
    return "ntp" if (r.kernel_synced or r.timesyncd_synced) else "none"


class _Timex(ctypes.Structure):
    _fields_ = ([("modes", ctypes.c_uint)] +
                [(n, ctypes.c_long) for n in ("offset", "freq", "maxerror", "esterror")] +
                [("status", ctypes.c_int)] +
                [(n, ctypes.c_long) for n in ("constant", "precision", "tolerance", "time_sec",
                                              "time_usec", "tick", "ppsfreq", "jitter")] +
                [("shift", ctypes.c_int)] +
                [(n, ctypes.c_long) for n in ("stabil", "jitcnt", "calcnt", "errcnt", "stbcnt")] +
                [("tai", ctypes.c_int), ("_pad", ctypes.c_int * 11)])


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


class SystemClock:
    """Reads the clock's quality; logs only when it changes."""

    def __init__(self, flag: Path = TIMESYNCD_FLAG):
        self.flag = flag
        self.quality: str | None = None

    def read(self, wall_s: float) -> str:
        reading = ClockReading(read_kernel_sync(), self.flag.exists(), int(wall_s * 1000))
        quality = clock_quality(reading)
        if quality != self.quality:
            log.info("system clock: %s", "synchronised" if quality == "ntp" else "not synchronised")
            self.quality = quality
        return quality
