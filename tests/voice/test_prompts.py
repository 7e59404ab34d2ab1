"""Every prompt a citizen can hear exists as a WAV file with sound in it, made by the real
espeak-ng; staff recordings are never overwritten; sox measures length and loudness."""
import logging
import subprocess
import wave

import pytest

from common.i18n import catalogue
from edge.lights import CAUSE_PROMPTS, EVENT_PROMPTS, REFUSAL_PROMPTS
from edge.voice.config import VoiceConfig
from edge.voice.library import PromptLibrary, scaled
from edge.voice.player import generate
from edge.voice.script import Piece, pieces, recorded_pieces

from .conftest import duration, rms

pytestmark = pytest.mark.integration  # runs espeak-ng and sox
SILENCE = 0.005  # RMS amplitude below this is silence (espeak-ng's speech is ~0.1)
EVERY_STATE = sorted({*CAUSE_PROMPTS.values(), *REFUSAL_PROMPTS.values(),
                      *EVENT_PROMPTS.values(), "voice.accepted", "voice.refused",
                      "voice.scan_ready", "voice.scan_ready_code"})


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    outcome = generate(VoiceConfig(enabled=True), state, "vi")
    return state / "voice", outcome


def test_install_time_generation_makes_every_piece(made):
    folder, outcome = made
    assert set(outcome) == {p.name for p in recorded_pieces(catalogue("vi"))}
    assert set(outcome.values()) == {"generated"}


@pytest.mark.parametrize("key", EVERY_STATE)
def test_every_state_produces_a_prompt_file_with_sound(made, key):
    folder, _ = made
    library = PromptLibrary(folder)
    files = [library.path(p) for p in pieces(key, {"pages": 3, "code": "042917"}, "vi",
                                             catalogue("vi"))]
    assert files and all(f is not None and f.parent == folder for f in files)
    total = sum(duration(f) for f in files)
    assert 0.3 < total < 15
    assert all(rms(f) > SILENCE for f in files)


def test_prompts_are_16_bit_mono_wav(made):
    folder, _ = made
    with wave.open(str(folder / "paper_out.wav")) as wav:
        assert (wav.getsampwidth(), wav.getnchannels()) == (2, 1)


def test_a_second_generation_keeps_what_is_there(made):
    folder, _ = made
    again = generate(VoiceConfig(enabled=True, prompts_dir=str(folder)), folder, "vi")
    assert set(again.values()) == {"kept"}


def test_a_staff_recording_is_never_overwritten(tmp_path):
    library = PromptLibrary(tmp_path)
    library.generate([Piece("paper_out", "Hết giấy, xin báo cán bộ.")])
    recording = tmp_path / "paper_out.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-b", "16", "-c", "1", str(recording),
                    "synth", "1.5", "sine", "440"], check=True, timeout=20)
    before = recording.read_bytes()
    assert library.generate([Piece("paper_out", "Hết giấy.")], force=True) == \
        {"paper_out": "recorded"}
    assert recording.read_bytes() == before
    assert library.path(Piece("paper_out", "Hết giấy.")) == recording


def test_a_generated_prompt_is_made_again_when_the_catalogue_changes_its_words(tmp_path):
    library = PromptLibrary(tmp_path)
    library.generate([Piece("busy", "Xin chờ.")])
    short = duration(tmp_path / "busy.wav")
    library.path(Piece("busy", "Xin chờ một chút, máy đang làm việc khác."))
    assert duration(tmp_path / "busy.wav") > short


def test_a_prompt_missing_at_first_use_is_made_then(tmp_path):
    path = PromptLibrary(tmp_path).path(Piece("jam", "Giấy bị kẹt."))
    assert path == tmp_path / "jam.wav" and rms(path) > SILENCE


def test_a_recording_in_the_wrong_format_is_said_by_espeak_and_logged(tmp_path, caplog):
    bad = tmp_path / "jam.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-b", "8", "-e", "unsigned", "-c", "1", str(bad),
                    "synth", "1", "sine", "300"], check=True, timeout=20)
    path = PromptLibrary(tmp_path).path(Piece("jam", "Giấy bị kẹt."))
    assert path is not None and path != bad and rms(path) > SILENCE
    assert "jam.wav is not a 16-bit PCM WAV file" in caplog.text


def test_missing_espeak_is_a_clear_log_line_not_a_traceback(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    library = PromptLibrary(tmp_path, espeak="/nonexistent/espeak-ng")
    assert library.path(Piece("jam", "Giấy bị kẹt.")) is None
    assert "is not installed (Debian package espeak-ng)" in caplog.text
    assert "Traceback" not in caplog.text


def test_volume_scales_the_loudness(made, tmp_path):
    folder, _ = made
    for volume in (100, 40):
        (tmp_path / f"v{volume}.wav").write_bytes(scaled(folder / "jam.wav", volume))
    assert rms(tmp_path / "v40.wav") == pytest.approx(0.4 * rms(tmp_path / "v100.wav"), rel=0.05)
