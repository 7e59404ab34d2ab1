"""A speaker for tests and the bench: ALSA's `file` plugin writing into a FIFO that a
thread here drains, at a speaker's pace or as fast as it can, noting when sound arrives."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path


class FifoSpeaker:
    """aplay -D <device> writes raw samples into the FIFO; `first_sound` holds the
    perf_counter time each playback's first bytes arrived. `rate` bytes a second paces the
    reading (44100 = 22050 Hz 16-bit mono in real time); None reads as fast as it can."""

    def __init__(self, folder: Path, rate: int | None = 44100):
        self.fifo = Path(folder) / "speaker.fifo"
        os.mkfifo(self.fifo)
        self.rate = rate
        self.received = 0
        self.first_sound: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="fifo-speaker", daemon=True)
        self._thread.start()

    @property
    def device(self) -> str:
        return f"file:FILE={self.fifo},FORMAT=raw"

    def _drain(self) -> None:
        chunk = max(1, self.rate // 20) if self.rate else 65536
        while not self._stop.is_set():
            fd = os.open(self.fifo, os.O_RDONLY)  # blocks until aplay opens it
            try:
                first = True
                while data := os.read(fd, chunk):
                    if first:
                        self.first_sound.append(time.perf_counter())
                        first = False
                    self.received += len(data)
                    if self.rate:
                        time.sleep(0.05)
            finally:
                os.close(fd)

    def close(self) -> None:
        self._stop.set()
        try:  # wake the reader blocked in open()
            os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        self._thread.join(2)
