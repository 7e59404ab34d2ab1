"""The agent speaks through its panel: a press is handled while a long prompt still plays,
and HELP is answered aloud (real agent, MockFactory pins, real aplay and mosquitto)."""
import time

from edge import config as edge_config_module
from edge.agent import Agent
from edge.lights import Say
from harness.printrig import make_pdf, set_paper, submit_held, wait_queue_ready
from harness.procs import free_port, wait_for

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


PRINT_PIN = 5


def test_the_print_button_is_answered_aloud_with_why_and_then_the_page_count(
        edge_config, mock_pins, run_in_thread, cups_server, fake_printer, tmp_path):
    fake_printer.set_pages(3)
    fake_printer.set_page_seconds(0.5)
    set_paper(fake_printer, 250)
    cups_server.add_ipp_queue("voice", fake_printer.uri, hold=True)
    wait_queue_ready(cups_server.server, "voice")
    path = edge_config(panel={"pin_factory": "mock", "print_button": PRINT_PIN},
                       printer={"enabled": True, "queue": "voice",
                                "server": cups_server.server, "poll_interval": "1s",
                                "notify_interval": "100ms"},
                       voice={"enabled": True, "device": "null",
                              "prompts_dir": str(tmp_path / "voice")})
    agent = Agent(edge_config_module.load(path), pin_factory=mock_pins)
    said = []
    agent.voice.player.on_played = lambda s, ok: said.append((s.key, s.values, ok))
    run_in_thread(agent)
    printing = next(f for f in agent.features if f.name == "printing")
    wait_for(lambda: printing.snapshot and printing.snapshot.status.state == "idle", 20,
             what="the queue seen idle")
    press(mock_pins, PRINT_PIN)
    wait_for(lambda: said, 20, what="the refusal said")
    assert said == [("voice.nothing_to_print", {}, True)]
    submit_held(cups_server.server, "voice", make_pdf(tmp_path / "doc.pdf", pages=3))
    wait_for(lambda: any(j.held for j in printing.snapshot.jobs), 20, what="a held job")
    press(mock_pins, PRINT_PIN)
    wait_for(lambda: len(said) >= 3, 30, what="accepted, then the pages")
    assert said[1:3] == [("voice.accepted", {}, True),
                         ("voice.printing", {"pages": 3}, True)]


SCAN_PIN = 12


def test_the_id_card_scan_asks_to_turn_the_card_and_says_the_pickup_code(
        edge_config, mock_pins, run_in_thread, tmp_path):
    path = edge_config(panel={"pin_factory": "mock", "scan_button": SCAN_PIN},
                       scanner={"enabled": True, "scan_preset": "id_card",
                                "output_dir": str(tmp_path / "scans"),
                                "web": {"address": "127.0.0.1", "port": free_port()}},
                       voice={"enabled": True, "device": "null",
                              "prompts_dir": str(tmp_path / "voice")})
    agent = Agent(edge_config_module.load(path), pin_factory=mock_pins)
    said = []
    agent.voice.player.on_played = lambda s, ok: said.append((s.key, s.values))
    scanning = next(f for f in agent.features if f.name == "scanning")
    shown = []  # the code the scan page got
    scanning.pickup_displays.append(lambda scan: shown.append(scan.code))
    run_in_thread(agent)
    wait_for(lambda: scanning.state.device == "ready", 30, what="scanner ready")
    press(mock_pins, SCAN_PIN)
    wait_for(lambda: ("voice.turn_card", {}) in said, 30, what="asked to turn the card")
    press(mock_pins, SCAN_PIN)
    ready = wait_for(lambda: [v for k, v in said if k == "voice.scan_ready_code"], 60,
                     what="the scan ready, with its code")
    assert ready == [{"code": shown[0]}] and len(shown[0]) == 6
    assert [k for k, _ in said].count("voice.accepted") == 2
