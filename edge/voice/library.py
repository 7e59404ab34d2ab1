"""PromptLibrary: the prompts folder. A piece plays from `<name>.wav` there (a recording
by the house's staff, or one espeak-ng made); a missing one is made with espeak-ng's
voice on first use (or ahead, by `generate`). Files espeak-ng made are listed in
`.generated.json`, so a staff recording dropped in their place is never overwritten.
The only code that runs espeak-ng; no shell, bounded by timeouts.
"""
from __future__ import annotations

import array
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import wave
from pathlib import Path

from .script import Piece

log = logging.getLogger(__name__)
MANIFEST = ".generated.json"
SPOKEN = ".spoken"  # words with no file of their own (a long number): espeak-ng each time
ESPEAK_TIMEOUT = 15.0
MAX_CLIPS = 64  # loudness-scaled clips kept in memory


class PromptLibrary:
    def __init__(self, folder: Path, espeak_voice: str = "vi", speed: int = 135,
                 espeak: str = "espeak-ng"):
        self.folder = Path(folder)
        self.espeak_voice = espeak_voice
        self.speed = speed
        self.espeak = espeak
        self.espeak_missing = False
        self._clips: dict[tuple, bytes] = {}
        self._refused: set[str] = set()  # files already reported unusable

    # ----- files --------------------------------------------------------------------------
    def manifest(self) -> dict:
        try:
            return json.loads((self.folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_manifest(self, manifest: dict) -> None:
        tmp = self.folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.folder / MANIFEST)

    @staticmethod
    def _stamp(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns]

    def is_generated(self, name: str, manifest: dict | None = None) -> bool:
        """The file is still the one espeak-ng made (staff have not replaced it)."""
        entry = (manifest if manifest is not None else self.manifest()).get(name)
        path = self.folder / f"{name}.wav"
        try:
            return bool(entry) and entry.get("stamp") == self._stamp(path)
        except OSError:
            return False

    def _speak_to(self, text: str, path: Path) -> bool:
        """espeak-ng renders text into path (atomically); False when it could not."""
        if self.espeak_missing:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        try:
            done = subprocess.run([self.espeak, "-v", self.espeak_voice, "-s", str(self.speed),
                                   "-w", str(tmp), text], capture_output=True,
                                  timeout=ESPEAK_TIMEOUT)
        except FileNotFoundError:
            self.espeak_missing = True
            log.error("voice: %s is not installed (Debian package espeak-ng): missing prompts "
                      "cannot be made; the buzzer still answers", self.espeak)
            return False
        except subprocess.TimeoutExpired:
            log.warning("voice: espeak-ng took over %.0fs; prompt skipped", ESPEAK_TIMEOUT)
            tmp.unlink(missing_ok=True)
            return False
        if done.returncode != 0 or not tmp.exists():
            log.warning("voice: espeak-ng failed (%s)",
                        done.stderr.decode(errors="replace").strip()[:200] or done.returncode)
            tmp.unlink(missing_ok=True)
            return False
        os.replace(tmp, path)
        return True

    def make(self, piece: Piece, force: bool = False) -> str:
        """Make `<name>.wav` with espeak-ng unless staff recorded it: "recorded", "kept"
        (espeak-ng's, text unchanged), "generated" or "failed"."""
        path = self.folder / f"{piece.name}.wav"
        manifest = self.manifest()
        generated = self.is_generated(piece.name, manifest)
        if path.exists() and not generated:
            return "recorded"
        if generated and manifest[piece.name].get("text") == piece.text and not force:
            return "kept"
        if not self._speak_to(piece.text, path):
            return "failed"
        manifest = self.manifest()  # re-read: another process may have added to it
        manifest[piece.name] = {"text": piece.text, "stamp": self._stamp(path)}
        self._save_manifest(manifest)
        return "generated"

    def generate(self, recorded: list[Piece], force: bool = False) -> dict[str, str]:
        """Make every missing (or outdated) piece; what happened to each, by name."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return {piece.name: self.make(piece, force) for piece in recorded}

    def path(self, piece: Piece) -> Path | None:
        """The WAV to play for a piece, made on first use; None when there is none."""
        if piece.name:
            path = self.folder / f"{piece.name}.wav"
            if not path.exists() or (self.is_generated(piece.name)
                                     and self.manifest()[piece.name].get("text") != piece.text):
                self.make(piece)
            if path.exists() and self._usable(path):
                return path
        said = f"{self.espeak_voice}|{self.speed}|{piece.text}"
        digest = hashlib.sha1(said.encode()).hexdigest()
        spoken = self.folder / SPOKEN / f"{digest[:16]}.wav"
        if spoken.exists() or self._speak_to(piece.text, spoken):
            return spoken
        return None

    def _usable(self, path: Path) -> bool:
        try:
            with wave.open(str(path), "rb") as wav:
                ok = wav.getsampwidth() == 2 and wav.getnchannels() in (1, 2) \
                    and wav.getcomptype() == "NONE"
        except (OSError, EOFError, wave.Error):
            ok = False
        if not ok and path.name not in self._refused:
            self._refused.add(path.name)
            log.error("voice: %s is not a 16-bit PCM WAV file; espeak-ng speaks it instead "
                      "(record it again as WAV, 16-bit, mono)", path.name)
        return ok

    # ----- sound --------------------------------------------------------------------------
    def clip(self, piece: Piece, volume: int) -> bytes | None:
        """The piece as WAV bytes at `volume` percent of its recorded loudness."""
        path = self.path(piece)
        if path is None:
            return None
        try:
            key = (str(path), *self._stamp(path), volume)
            if key not in self._clips:
                if len(self._clips) >= MAX_CLIPS:
                    self._clips.pop(next(iter(self._clips)))
                self._clips[key] = scaled(path, volume)
            return self._clips[key]
        except (OSError, EOFError, wave.Error) as exc:
            log.warning("voice: cannot read %s: %s", path.name, exc)
            return None


def scaled(path: Path, volume: int) -> bytes:
    """A 16-bit PCM WAV file as WAV bytes with every sample scaled to volume percent."""
    with wave.open(str(path), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    if volume != 100:
        samples = array.array("h")
        samples.frombytes(frames[:len(frames) - len(frames) % 2])
        if sys.byteorder == "big":
            samples.byteswap()
        factor = max(0, min(100, volume)) / 100
        samples = array.array("h", (int(s * factor) for s in samples))
        if sys.byteorder == "big":
            samples.byteswap()
        frames = samples.tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    return out.getvalue()
