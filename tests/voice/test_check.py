"""`culturehouse-edge check` says whether the voice can speak: tools, prompt files, device."""
import pytest

from common.i18n import text
from edge.voice.check import check_voice
from edge.voice.config import VoiceConfig
from edge.voice.player import generate

pytestmark = pytest.mark.integration  # runs aplay and espeak-ng


def words(line):
    return text("en", line.what)


def test_a_house_without_a_speaker_reads_voice_not_enabled(tmp_path):
    (line,) = check_voice(VoiceConfig(), tmp_path, "vi")
    assert line.ok is None and words(line) == "Voice: not enabled in the config"


def test_a_ready_voice_is_all_ticks(tmp_path):
    cfg = VoiceConfig(enabled=True, device="null")
    generate(cfg, tmp_path, "vi")
    lines = {line.key: line for line in check_voice(cfg, tmp_path, "vi")}
    assert [lines[k].ok for k in ("audio.tools", "audio.prompts", "audio.device")] == \
        [True, True, True]
    assert "(0 recorded by staff)" in words(lines["audio.prompts"])


def test_missing_prompt_files_are_a_note_not_a_failure(tmp_path):
    lines = {line.key: line for line in check_voice(VoiceConfig(enabled=True, device="null"),
                                                    tmp_path, "vi")}
    assert lines["audio.prompts"].ok is None
    assert "--generate" in text("en", lines["audio.prompts"].fix)


def test_a_speaker_that_does_not_play_is_a_cross_with_aplays_words(tmp_path):
    lines = {line.key: line for line in check_voice(
        VoiceConfig(enabled=True, device="nosuchcard"), tmp_path, "vi")}
    assert lines["audio.device"].ok is False
    assert "nosuchcard" in words(lines["audio.device"])
    assert "audio group" in text("en", lines["audio.device"].fix)


def test_missing_tools_are_named(tmp_path):
    lines = {line.key: line for line in check_voice(VoiceConfig(enabled=True), tmp_path, "vi",
                                                    aplay="no-such-aplay")}
    assert lines["audio.tools"].ok is False and "no-such-aplay" in words(lines["audio.tools"])
    assert "audio.device" not in lines
