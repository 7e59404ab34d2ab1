"""AplayPlayer: speaks prompts on its own thread through ALSA's `aplay`, so the main loop
never waits for a sound; and Voice, what the agent holds: the player, the prompts folder
and the quiet hours. The only code that runs aplay: no shell, a timeout on every play, a
clear log line (never a traceback) when aplay or the sound device is missing.
"""
from __future__ import annotations

import collections
import logging
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from ..lights import Say
from .config import VoiceConfig, is_quiet
from .library import PromptLibrary
from .script import pieces, recorded_pieces

log = logging.getLogger(__name__)
ESPEAK_VOICES = {"vi": "vi", "en": "en"}


class AplayPlayer:
    """A bounded queue of prompts and one thread that plays them in turn, piece by piece.

    When the queue is full a newer prompt drops the oldest one still waiting; the one
    playing always finishes (or hits `timeout`).
    """

    def __init__(self, library: PromptLibrary, words: Mapping[str, str], lang: str,
                 device: str = "default", volume: int = 80, timeout: float = 20.0,
                 queue_size: int = 2, aplay: str = "aplay",
                 on_played: Callable[[Say, bool], None] | None = None):
        self.library = library
        self.words = words
        self.lang = lang
        self.device = device
        self.volume = volume
        self.timeout = timeout
        self.aplay = aplay
        self.on_played = on_played  # (prompt, played) after each prompt, on the thread
        self.available = True  # False once aplay is found missing
        self.dropped = 0  # prompts a newer one pushed out of the queue
        self._waiting: collections.deque[Say] = collections.deque()
        self._size = queue_size
        self._cond = threading.Condition()
        self._stopping = False
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._failure = ""  # last aplay complaint logged (logged again only when it changes)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(self, prompt: Say) -> None:
        """Queue a prompt; returns at once."""
        with self._cond:
            if len(self._waiting) >= self._size:
                self._waiting.popleft()
                self.dropped += 1
            self._waiting.append(prompt)
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return not self._waiting and self._proc is None

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._waiting.clear()
            proc = self._proc
            self._cond.notify()
        if proc is not None:
            proc.kill()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                prompt = self._waiting.popleft()
            try:
                played = self._speak(prompt)
            except Exception:  # the thread must outlive any surprise; the buzzer stays
                log.exception("voice: prompt %s failed", prompt.key)
                played = False
            if self.on_played:
                self.on_played(prompt, played)

    def _speak(self, prompt: Say) -> bool:
        played = False
        for piece in pieces(prompt.key, prompt.values, self.lang, self.words):
            clip = self.library.clip(piece, self.volume)
            if clip is not None and self._play(clip):
                played = True
            if not self.available or self._stopping:
                return False
        return played

    def _play(self, clip: bytes) -> bool:
        try:
            proc = subprocess.Popen([self.aplay, "-q", "-D", self.device, "-"],
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
        except FileNotFoundError:
            self.available = False
            log.error("voice: %s is not installed (Debian package alsa-utils): no spoken "
                      "prompts; the buzzer answers instead", self.aplay)
            return False
        with self._cond:
            self._proc = proc
        try:
            _out, err = proc.communicate(clip, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
            err = f"still playing after {self.timeout:.0f}s".encode()
        finally:
            with self._cond:
                self._proc = None
        if proc.returncode == 0:
            if self._failure:
                log.info("voice: sound device %s works again", self.device)
            self._failure = ""
            return True
        failure = err.decode(errors="replace").strip().splitlines()[-1:] or [str(proc.returncode)]
        if failure[0] != self._failure and not self._stopping:
            log.warning("voice: aplay -D %s failed: %s", self.device, failure[0][:200])
        self._failure = failure[0]
        return False


class Voice:
    """The agent's voice: speaks a prompt unless it is quiet time or aplay is missing."""

    def __init__(self, cfg: VoiceConfig, state_dir: Path, language: str = "vi",
                 timezone: str = "Asia/Ho_Chi_Minh", aplay: str = "aplay",
                 on_played: Callable[[Say, bool], None] | None = None):
        from common.i18n import catalogue
        self.cfg = cfg
        self.lang = cfg.language or language
        self.zone = ZoneInfo(timezone)
        self.quiet = cfg.quiet
        self.library = library_for(cfg, state_dir, self.lang)
        self.player = AplayPlayer(self.library, catalogue(self.lang), self.lang, cfg.device,
                                  cfg.volume, float(cfg.play_timeout), cfg.queue, aplay,
                                  on_played)

    def start(self) -> None:
        self.player.start()

    def stop(self) -> None:
        self.player.stop()

    def can_speak(self, wall: float) -> bool:
        """Not quiet time, volume up and aplay present."""
        local = datetime.fromtimestamp(wall, self.zone)
        return self.player.available and self.cfg.volume > 0 and \
            not is_quiet(self.quiet, local.hour * 60 + local.minute)

    def say(self, prompt: Say | None, wall: float | None = None) -> bool:
        """Queue the prompt when speaking is allowed now; whether it was queued."""
        if prompt is None or not self.can_speak(time.time() if wall is None else wall):
            return False
        self.player.say(prompt)
        return True

    def wants_buzzer(self, wall: float) -> bool:
        return self.cfg.buzzer == "always" or not self.can_speak(wall)


def library_for(cfg: VoiceConfig, state_dir: Path, lang: str) -> PromptLibrary:
    folder = Path(cfg.prompts_dir) if cfg.prompts_dir else Path(state_dir) / "voice"
    return PromptLibrary(folder, cfg.espeak_voice or ESPEAK_VOICES.get(lang, lang),
                         cfg.espeak_speed)


def generate(cfg: VoiceConfig, state_dir: Path, lang: str, force: bool = False) -> dict:
    """Make every prompt file that is missing (install time): name -> what happened."""
    from common.i18n import catalogue
    library = library_for(cfg, state_dir, lang)
    return library.generate(recorded_pieces(catalogue(lang)), force)
