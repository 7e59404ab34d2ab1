import subprocess
from pathlib import Path

import pytest

from harness.speaker import FifoSpeaker


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


@pytest.fixture
def slow_speaker(tmp_path):
    """A FIFO speaker played at a real speaker's pace (a prompt takes as long as it says)."""
    speaker = FifoSpeaker(tmp_path)
    yield speaker
    speaker.close()
