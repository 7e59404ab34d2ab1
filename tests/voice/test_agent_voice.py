"""The agent speaks through its panel: a press is handled while a long prompt still plays,
and HELP is answered aloud (real agent, MockFactory pins, real aplay and mosquitto)."""
import time

from edge import config as edge_config_module
from edge.agent import Agent
from edge.lights import Say
from harness.procs import wait_for

HELP_PIN, BUZZER_PIN = 6, 24


def press(factory, pin, seconds=0.15) -> float:
    """Press and release a button; the time of the release (when the press counts)."""
    factory.pin(pin).drive_low()
    time.sleep(seconds)
    released = time.perf_counter()
    factory.pin(pin).drive_high()
    return released


def test_a_press_is_handled_while_a_long_prompt_plays(
        edge_config, mock_pins, run_in_thread, slow_speaker, tmp_path):
    path = edge_config(panel={"pin_factory": "mock", "help_button": HELP_PIN,
                              "buzzer": BUZZER_PIN},
                       voice={"enabled": True, "device": slow_speaker.device,
                              "prompts_dir": str(tmp_path / "voice")})
    agent = Agent(edge_config_module.load(path), pin_factory=mock_pins)
    played = []
    agent.voice.player.on_played = lambda s, ok: played.append(s.key)
    run_in_thread(agent)
    helpf = next(f for f in agent.features if f.name == "help")
    agent.voice.player.say(Say("voice.next_page"))  # about 4 s of speech
    wait_for(lambda: slow_speaker.received, 20, what="the long prompt reaching the speaker")
    released = press(mock_pins, HELP_PIN)
    wait_for(lambda: helpf.state.request == 1, 5, what="HELP handled")
    handled = time.perf_counter() - released
    assert handled < 0.5
    assert not agent.voice.player.idle() and played == []  # still speaking the long one
    wait_for(lambda: played == ["voice.next_page", "voice.help_sent"], 40,
             what="HELP answered aloud after the long prompt")
