"""[voice] section of the edge config: the speaker, the prompts' folder, volume, quiet hours.

Pure: standard library and common.settings only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from common.settings import Seconds

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_DEVICE = re.compile(r"^[A-Za-z0-9_:,.=/-]{1,128}$")


def parse_quiet_hours(text: str) -> tuple[int, int] | None:
    """"21:30-06:00" into (start, end) minutes of the day; None when there are none ("")."""
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(f"expected \"HH:MM-HH:MM\" such as \"21:30-06:00\", got {text!r}")
    h1, m1, h2, m2 = map(int, match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def is_quiet(hours: tuple[int, int] | None, minute_of_day: int) -> bool:
    """Whether this minute of the day falls in the quiet hours (which may cross midnight)."""
    if hours is None or hours[0] == hours[1]:
        return False
    start, end = hours
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


@dataclass(frozen=True)
class VoiceConfig:
    enabled: bool = False  # true when the house has a speaker on the Pi's audio out
    prompts_dir: str = ""  # "" = <state_dir>/voice
    language: Literal["", "vi", "en"] = ""  # "" = the house's language
    device: str = "default"  # ALSA PCM for aplay -D ("default", "plughw:0,0", "null")
    volume: int = 80  # percent of the recording's own loudness, 0-100
    quiet_hours: str = ""  # "21:30-06:00": no speech then (the buzzer still answers)
    buzzer: Literal["always", "when_silent"] = "always"
    espeak_voice: str = ""  # "" = "vi" (Northern) or "en"; or "vi-vn-x-central", ...
    espeak_speed: int = 135  # words per minute: slow and clear for elderly citizens
    play_timeout: Seconds = Seconds(20)  # longest a prompt may play before aplay is stopped
    queue: int = 2  # prompts waiting behind the one playing; a newer one drops the oldest

    def problems(self) -> list[str]:
        out = []
        if not 0 <= self.volume <= 100:
            out.append("volume: must be between 0 and 100 (percent)")
        if self.quiet_hours:
            try:
                parse_quiet_hours(self.quiet_hours)
            except ValueError as exc:
                out.append(f"quiet_hours: {exc}")
        if not _DEVICE.match(self.device):
            out.append(f"device: {self.device!r} is not an ALSA device name such as "
                       "\"default\" or \"plughw:0,0\"")
        if self.espeak_voice and not re.match(r"^[a-z][a-z0-9-]{0,31}$", self.espeak_voice):
            out.append(f"espeak_voice: {self.espeak_voice!r} is not an espeak-ng voice name")
        if not 80 <= self.espeak_speed <= 300:
            out.append("espeak_speed: must be between 80 and 300 words per minute")
        if not 1 <= self.play_timeout <= 120:
            out.append("play_timeout: must be between 1s and 2m")
        if not 1 <= self.queue <= 10:
            out.append("queue: must be between 1 and 10")
        return out

    @property
    def quiet(self) -> tuple[int, int] | None:
        return parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None
