"""Press to first sound: a real agent (mock GPIO pins, real mosquitto) answers a PRINT
press aloud through a real aplay; the "speaker" is ALSA's `file` plugin writing into a
FIFO, and a press counts from its button's release (when the panel posts it) to the first
bytes of sound aplay writes there. Reports median and p95 over PRESSES presses, with the
prompts made ahead (install time) and once more when espeak-ng makes them at first use."""
from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from edge import config as edge_config  # noqa: E402
from edge.agent import Agent  # noqa: E402
from edge.feature import Feature  # noqa: E402
from edge.panel import make_pin_factory  # noqa: E402
from edge.voice.player import generate  # noqa: E402
from harness.edgeproc import write_edge_config  # noqa: E402
from harness.mosquitto import MosquittoBroker  # noqa: E402
from harness.procs import wait_for  # noqa: E402
from harness.speaker import FifoSpeaker  # noqa: E402

PRESSES = 40
PRINT_PIN = 5


class AcceptsPrint(Feature):
    """Stands in for the print feature: every PRINT press is accepted ("Đã nhận.")."""

    name = "bench"

    def on_button(self, press, now):
        return True if press.button == "print" else None


def leading_silence(path: Path) -> float:
    """Seconds before the first sample above 1 % of full scale (a prompt's own delay)."""
    import array
    import wave
    with wave.open(str(path)) as wav:
        samples = array.array("h")
        samples.frombytes(wav.readframes(wav.getnframes()))
        rate = wav.getframerate() * wav.getnchannels()
    return next((i for i, s in enumerate(samples) if abs(s) > 328), len(samples)) / rate


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _presses(agent, pins, speaker, n: int) -> list[float]:
    pin = pins.pin(PRINT_PIN)
    delays = []
    for _ in range(n):
        heard = len(speaker.first_sound)
        pin.drive_low()
        time.sleep(0.1)
        released = time.perf_counter()
        pin.drive_high()
        wait_for(lambda: len(speaker.first_sound) > heard, 20, what="the prompt's first sound")
        delays.append(speaker.first_sound[heard] - released)
        wait_for(agent.voice.player.idle, 20, interval=0.01, what="the prompt's end")
    return delays


def _agent(work: Path, broker, speaker, prompts: Path):
    path = write_edge_config(work / "edge.toml", "house-01", broker.port, work / "state",
                             panel={"pin_factory": "mock", "print_button": PRINT_PIN},
                             voice={"enabled": True, "device": speaker.device,
                                    "prompts_dir": str(prompts)})
    cfg = edge_config.load(path)
    pins = make_pin_factory("mock")
    agent = Agent(cfg, pin_factory=pins)
    agent.features.append(AcceptsPrint())
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    return agent, thread, pins, cfg


def run() -> list[tuple[str, float, str]]:
    work = Path(tempfile.mkdtemp(prefix="ch-bench-voice-"))
    broker = MosquittoBroker(work / "mosq").start()
    speaker = FifoSpeaker(work, rate=None)
    try:
        agent, thread, pins, cfg = _agent(work, broker, speaker, work / "cold")
        time.sleep(0.5)
        cold = _presses(agent, pins, speaker, 1)  # espeak-ng makes "Đã nhận." now
        agent.request_stop("bench")
        thread.join(10)
        generate(cfg.voice, work / "state", "vi")  # what install.sh does
        agent, thread, pins, cfg = _agent(work, broker, speaker, work / "state" / "voice")
        time.sleep(0.5)
        delays = _presses(agent, pins, speaker, PRESSES)
        agent.request_stop("bench")
        thread.join(10)
    finally:
        speaker.close()
        broker.stop()
    ms = [d * 1000 for d in delays]
    return [("press to first sound, median", statistics.median(ms), "ms"),
            ("press to first sound, p95", _pct(ms, 0.95), "ms"),
            ("press to first sound, max", max(ms), "ms"),
            ("presses measured", len(ms), "presses"),
            ("first press, prompt made by espeak-ng then", cold[0] * 1000, "ms"),
            ("leading silence of the prompt (on top)",
             leading_silence(work / "state" / "voice" / "accepted.wav") * 1000, "ms")]


if __name__ == "__main__":
    for figure, value, unit in run():
        print(f"{figure}: {value:.1f} {unit}" if isinstance(value, float) else
              f"{figure}: {value} {unit}")
