"""Reading a SANE frame strip by strip into one page image, through libsane itself.

Used only by sane_scanner.py (on its worker thread); imports ctypes and Pillow, not sane.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from typing import Any, Callable

from .faults import parse_fault

_GOOD, _CANCELLED, _EOF = 0, 2, 5  # SANE_Status values
_STRIP_BYTES = 256 * 1024
_PIPE_BYTES = 64 * 1024  # Linux's default pipe capacity
_READER_EXIT_WAIT = 1.0  # seconds
_libsane = None


def task_ids() -> set[str]:
    """This process's thread ids, to spot the reader thread a backend starts in sane_start."""
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:
        return set()


def await_threads_gone(tids: set[str], timeout: float = _READER_EXIT_WAIT) -> None:
    """Wait (bounded) until the backend's reader thread has finished by itself.

    Backends built on sanei_thread with pthreads (the `test` backend among them) cancel
    their reader thread asynchronously in the sane_read that returns a frame's last bytes.
    If the thread is already on its way out then, it can die holding glibc's loader or
    locale lock, and the next thread to need it (libjpeg's TLS, libp11-kit at exit) hangs
    forever. Once the reader has written everything it exits by itself; wait for that.
    """
    deadline = time.monotonic() + timeout
    while tids and tids & task_ids() and time.monotonic() < deadline:
        time.sleep(0.002)


def _lib():
    """libsane itself (the copy python-sane already loaded), for a line-by-line read."""
    global _libsane
    if _libsane is None:
        lib = ctypes.CDLL(ctypes.util.find_library("sane") or "libsane.so.1")
        lib.sane_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                  ctypes.POINTER(ctypes.c_int)]
        lib.sane_read.restype = ctypes.c_int
        lib.sane_strstatus.argtypes = [ctypes.c_int]
        lib.sane_strstatus.restype = ctypes.c_char_p
        _libsane = lib
    return _libsane


def _handle(dev: Any) -> int:
    """The SANE_Handle inside python-sane's device: struct { PyObject_HEAD; SANE_Handle h; }."""
    head = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
    return ctypes.c_void_p.from_address(id(dev.dev) + head).value


def read_frame(dev: Any, stop: Callable[[], bool], reader: set[str] = frozenset()):
    """Read a started frame into a page image strip by strip; → (image, "") or (None, reason).

    python-sane's snap() holds the raw page twice (its buffer and a copy) and Pillow a third
    time; reading strips into the page image keeps one page in memory. `stop()` is asked
    between reads: cancelling here, on the owner thread, avoids calling sane_cancel from
    another thread while sane_read runs (which crashed the test backend). (None, "snap") when
    the frame is of a kind this reader does not handle (16-bit, three-pass, unknown height).
    `reader`: thread ids the backend started in sane_start (see await_threads_gone).
    """
    from PIL import Image
    fmt, last, (width, lines), depth, bpl = dev.get_parameters()
    modes = {("gray", 8): ("L", "L"), ("gray", 1): ("1", "1;I"), ("color", 8): ("RGB", "RGB")}
    if (fmt, depth) not in modes or lines <= 0 or not last:
        return None, "snap"
    mode, rawmode = modes[fmt, depth]
    page = Image.new(mode, (width, lines), "white")
    buf = ctypes.create_string_buffer(max(bpl, _STRIP_BYTES // bpl * bpl))
    lib, handle, got, filled, row = _lib(), _handle(dev), ctypes.c_int(), 0, 0
    while row < lines:
        if stop():
            dev.dev.cancel()
            return None, "cancelled"
        remaining = (lines - row) * bpl - filled
        if reader and remaining <= _PIPE_BYTES:  # all of it fits in the pipe: the next read
            await_threads_gone(reader)           # may be the last, which kills the reader
            reader = frozenset()
        status = lib.sane_read(handle, ctypes.byref(buf, filled), len(buf) - filled, ctypes.byref(got))
        filled += got.value if status == _GOOD else 0
        if filled >= bpl and (filled == len(buf) or status != _GOOD):
            count = min(filled // bpl, lines - row)
            strip = Image.frombuffer(mode, (width, count), bytes(buf[:count * bpl]), "raw",
                                     rawmode, bpl, 1)
            page.paste(strip, (0, row))
            row += count
            rest = filled - count * bpl
            ctypes.memmove(buf, ctypes.byref(buf, count * bpl), rest)
            filled = rest
        if status == _EOF:
            break
        if status != _GOOD:
            return None, "cancelled" if status == _CANCELLED else parse_fault(
                lib.sane_strstatus(status).decode(errors="replace"))
    if row < lines:
        return None, "truncated"  # a frame cut short must not pass as a good page
    return page, ""
