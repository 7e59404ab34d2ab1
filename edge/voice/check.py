"""`culturehouse-edge check` lines for the voice: aplay and espeak-ng installed, the
prompts folder filled, the sound device playing. Runs aplay once (no shell, a timeout)."""
from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

from common.checks import CheckLine, check_line
from common.i18n import catalogue, phrase

from .config import VoiceConfig
from .library import PromptLibrary
from .player import library_for
from .script import recorded_pieces

PLAY_TIMEOUT = 10.0


def silence(seconds: float = 0.05, rate: int = 22050) -> bytes:
    """A short silent 16-bit mono WAV: what the device check plays."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(rate * seconds))
    return out.getvalue()


def check_voice(cfg: VoiceConfig, state_dir: Path, lang: str, aplay: str = "aplay",
                espeak: str = "espeak-ng") -> list[CheckLine]:
    if not cfg.enabled:
        return [check_line("voice", None, "check.feature.disabled", "check.feature.disabled.fix",
                           feature=phrase("check.feature.voice"), section="voice")]
    lang = cfg.language or lang
    lines = []
    missing = [tool for tool in (aplay, espeak) if shutil.which(tool) is None]
    lines.append(check_line("audio.tools", not missing,
                            ("check.voice.tools", "check.voice.no_tools"),
                            "check.voice.tools.fix", tools=", ".join(missing)))
    library = library_for(cfg, state_dir, lang)
    lines.append(_prompts_line(library, lang))
    if aplay not in missing:
        lines.append(_device_line(cfg.device, aplay))
    return lines


def _prompts_line(library: PromptLibrary, lang: str) -> CheckLine:
    pieces = recorded_pieces(catalogue(lang))
    present = [p for p in pieces if (library.folder / f"{p.name}.wav").exists()]
    manifest = library.manifest()
    recorded = sum(1 for p in present if not library.is_generated(p.name, manifest))
    return check_line("audio.prompts", len(present) == len(pieces) or None,
                      ("check.voice.prompts", "check.voice.prompts_missing"),
                      "check.voice.prompts.fix", folder=str(library.folder),
                      present=len(present), total=len(pieces), recorded=recorded)


def _device_line(device: str, aplay: str) -> CheckLine:
    try:
        done = subprocess.run([aplay, "-q", "-D", device, "-"], input=silence(),
                              capture_output=True, timeout=PLAY_TIMEOUT)
        error = done.stderr.decode(errors="replace").strip().splitlines()[-1:] \
            if done.returncode else []
        ok = done.returncode == 0
    except subprocess.TimeoutExpired:
        ok, error = False, [f"no answer within {PLAY_TIMEOUT:.0f}s"]
    return check_line("audio.device", ok, ("check.voice.device", "check.voice.device_fails"),
                      "check.voice.device.fix", device=device,
                      error=(error or [""])[0][:200])
