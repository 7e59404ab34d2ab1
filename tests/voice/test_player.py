"""Playback through a real aplay (ALSA's null device, or a FIFO that plays at speaker pace),
on its own thread: a prompt never delays a button's action."""
import logging
import time

import pytest

from common.i18n import catalogue
from edge.feature import Now
from edge.lights import Say
from edge.voice.config import VoiceConfig
from edge.voice.library import PromptLibrary
from edge.voice.player import AplayPlayer, Voice
from harness.procs import wait_for

pytestmark = pytest.mark.integration  # runs aplay and espeak-ng


def player(tmp_path, device="null", aplay="aplay", **kw):
    played = []
    p = AplayPlayer(PromptLibrary(tmp_path / "voice"), catalogue("vi"), "vi", device,
                    aplay=aplay, on_played=lambda s, ok: played.append((s.key, ok)), **kw)
    p.played = played
    p.start()
    return p


def test_a_prompt_plays_through_a_real_aplay_to_the_null_device(tmp_path):
    p = player(tmp_path)
    try:
        p.say(Say("voice.printing", (("pages", 21),)))
        wait_for(lambda: p.played, 20, what="prompt played")
        assert p.played == [("voice.printing", True)]
    finally:
        p.stop()


def test_saying_returns_at_once_while_a_long_prompt_plays(tmp_path, slow_speaker):
    p = player(tmp_path, slow_speaker.device)
    try:
        p.say(Say("voice.next_page"))
        wait_for(lambda: slow_speaker.received, 20, what="sound reaching the speaker")
        started = time.perf_counter()
        p.say(Say("voice.accepted"))
        assert time.perf_counter() - started < 0.01
        assert not p.idle()  # the long prompt is still playing
    finally:
        p.stop()


def test_a_newer_prompt_drops_the_oldest_one_still_waiting(tmp_path, slow_speaker):
    p = player(tmp_path, slow_speaker.device, queue_size=1)
    try:
        p.say(Say("voice.next_page"))
        wait_for(lambda: slow_speaker.received, 20, what="sound reaching the speaker")
        p.say(Say("voice.paper_out"))
        p.say(Say("voice.jam"))
        assert p.dropped == 1
        wait_for(lambda: len(p.played) == 2, 30, what="both prompts played")
        assert [k for k, _ in p.played] == ["voice.next_page", "voice.jam"]
    finally:
        p.stop()


def test_missing_aplay_is_one_clear_log_line_and_the_buzzer_answers(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    voice = Voice(VoiceConfig(enabled=True, buzzer="when_silent"), tmp_path, "vi",
                  aplay="/nonexistent/aplay")
    voice.start()
    try:
        assert voice.say(Say("voice.jam"))
        wait_for(lambda: not voice.player.available, 20, what="aplay found missing")
        assert not voice.say(Say("voice.jam"))
        assert voice.wants_buzzer(time.time())
    finally:
        voice.stop()
    assert caplog.text.count("is not installed (Debian package alsa-utils)") == 1
    assert "Traceback" not in caplog.text


def test_a_sound_device_that_does_not_exist_is_logged_once(tmp_path, caplog):
    p = player(tmp_path, device="nosuchdevice")
    try:
        p.say(Say("voice.jam"))
        p.say(Say("voice.busy"))
        wait_for(lambda: len(p.played) == 2, 20, what="both tried")
        assert p.played == [("voice.jam", False), ("voice.busy", False)]
    finally:
        p.stop()
    assert caplog.text.count("aplay -D nosuchdevice failed") == 1
    assert "Traceback" not in caplog.text


def test_quiet_hours_silence_the_voice_and_bring_back_the_buzzer(tmp_path):
    voice = Voice(VoiceConfig(enabled=True, quiet_hours="21:00-06:00", buzzer="when_silent"),
                  tmp_path, "vi", timezone="Asia/Ho_Chi_Minh")
    night = 1764003600.0  # 2025-11-25 00:00 in Hà Nội
    assert not voice.can_speak(night) and voice.wants_buzzer(night)
    assert voice.can_speak(night + 10 * 3600) and not voice.wants_buzzer(night + 10 * 3600)
    assert not voice.say(Say("voice.jam"), night)
