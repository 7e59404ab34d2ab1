import os
import subprocess
import threading
from pathlib import Path

import pytest


def duration(path: Path) -> float:
    """Seconds of sound, as sox measures them."""
    return float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True,
                                check=True, timeout=20).stdout)


def rms(path: Path) -> float:
    """RMS amplitude (0 = silence) from `sox FILE -n stat`."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                         check=True, timeout=20).stderr
    line = next(l for l in out.splitlines() if l.startswith("RMS     amplitude"))
    return float(line.split(":")[1])


class SlowSpeaker:
    """An ALSA `file` device writing into a FIFO that this reader drains at `rate` bytes
    a second, so a real aplay plays for as long as a real speaker would (or longer)."""

    def __init__(self, folder: Path, rate: int = 44100):
        self.fifo = folder / "speaker.fifo"
        os.mkfifo(self.fifo)
        self.rate = rate
        self.received = 0
        self.first_byte: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    @property
    def device(self) -> str:
        return f"file:FILE={self.fifo},FORMAT=raw"

    def _drain(self) -> None:
        import time
        while not self._stop.is_set():
            fd = os.open(self.fifo, os.O_RDONLY)  # blocks until aplay opens it
            try:
                while True:
                    chunk = os.read(fd, max(1, self.rate // 20))
                    if not chunk:
                        break
                    if not self.received:
                        self.first_byte.append(time.perf_counter())
                    self.received += len(chunk)
                    time.sleep(0.05)
            finally:
                os.close(fd)

    def close(self) -> None:
        self._stop.set()
        try:  # wake the reader blocked in open()
            fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        self._thread.join(2)


@pytest.fixture
def slow_speaker(tmp_path):
    speaker = SlowSpeaker(tmp_path)
    yield speaker
    speaker.close()
