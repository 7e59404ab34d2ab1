"""Status lights, buzzer and buttons on gpiozero's MockFactory pins."""
import pytest

from edge.config import PanelConfig
from edge.feature import ButtonPress, Indicator
from edge.lights import ATTENTION_PATTERNS, BLINK_WORKING, OFF, ON, LightPlan, choose_lights
from edge.panel import Debouncer, GpioPanel, make_pin_factory
from harness.procs import wait_for

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

PINS = dict(print_button=5, help_button=6, green_light=17, amber_light=27, red_light=22,
            help_light=23, buzzer=24)


@pytest.fixture
def panel():
    posted = []
    p = GpioPanel(PanelConfig(pin_factory="mock", **PINS), posted.append, make_pin_factory("mock"))
    p.start()
    p.posted = posted
    yield p
    p.close()


def test_ready_is_green_only():
    assert choose_lights([Indicator()]) == LightPlan(green=ON)


def test_working_blinks_amber_and_a_waiting_job_holds_it_steady():
    assert choose_lights([Indicator("busy", "printing")]).amber == BLINK_WORKING
    assert choose_lights([Indicator("prompt", "job_waiting")]).amber == ON


def test_every_attention_cause_has_its_own_red_pattern():
    plans = {c: choose_lights([Indicator("attention", c)]).red for c in
             ("paper_out", "jam", "printer_offline", "scanner_fault", "broker_down")}
    assert len(set(plans.values())) == len(plans)
    assert all(p[0] == "blink" for p in plans.values())


def test_paper_out_outranks_a_broker_outage_and_turns_green_off():
    plan = choose_lights([Indicator("attention", "broker_down"), Indicator("attention", "paper_out")])
    assert plan.red == ATTENTION_PATTERNS["paper_out"] and plan.green == OFF


def test_a_broker_outage_alone_leaves_the_house_ready():
    plan = choose_lights([Indicator("attention", "broker_down")])
    assert plan.green == ON and plan.red == ATTENTION_PATTERNS["broker_down"]


def test_help_indicators_drive_only_the_help_light():
    plan = choose_lights([Indicator("ok", "help_waiting")])
    assert plan == LightPlan(green=ON, help=("blink", 0.5, 0.5))
    assert choose_lights([Indicator("ok", "help_acknowledged")]).help == ON


def test_steady_lights_drive_their_pins(panel):
    panel.show(LightPlan(green=ON, amber=OFF, red=OFF, help=ON))
    assert panel.lights["green"].pin.state == 1 and panel.lights["help"].pin.state == 1
    assert panel.lights["red"].pin.state == 0 and panel.lights["amber"].pin.state == 0


def _periods(pin, transitions):
    """(seconds, level) of each completed period: a MockPin stamps every new state with
    the time since the previous change."""
    wait_for(lambda: len(pin.states) >= transitions, 15, what="blinking")
    states = list(pin.states)[1:transitions]
    return [(b.timestamp, a.state) for a, b in zip(states, states[1:])]


@pytest.mark.parametrize("cause", ["jam", "printer_offline", "paper_out", "scanner_fault",
                                   "broker_down"])
def test_each_attention_cause_blinks_red_with_its_timing(panel, cause):
    _, on_time, off_time = ATTENTION_PATTERNS[cause]
    pin = panel.lights["red"].pin
    pin.clear_states()
    panel.show(choose_lights([Indicator("attention", cause)]))
    periods = _periods(pin, 5)
    ons = [d for d, s in periods if s]
    offs = [d for d, s in periods if not s]
    # Never shorter than asked (Event.wait never returns early); generous upper bound.
    assert ons and offs
    assert all(on_time * 0.95 <= d <= on_time + 0.5 for d in ons)
    assert all(off_time * 0.95 <= d <= off_time + 0.5 for d in offs)


def test_an_unchanged_plan_does_not_restart_a_blink(panel):
    plan = choose_lights([Indicator("busy")])
    panel.show(plan)
    thread = panel.lights["amber"]._blink_thread
    panel.show(plan)
    assert panel.lights["amber"]._blink_thread is thread


def test_accepted_and_refused_presses_beep_differently(panel):
    pin = panel.buzzer.pin
    pin.clear_states()
    panel.beep("accept")
    wait_for(lambda: len(pin.states) >= 3, 5)
    assert sum(1 for s in pin.states if s.state) == 1
    pin.clear_states()
    panel.beep("refuse")
    wait_for(lambda: len(pin.states) >= 5, 5)
    assert sum(1 for s in pin.states if s.state) == 2


def test_a_press_is_posted_with_how_long_it_was_held(panel):
    clock = iter([10.0, 12.5])
    panel.clock = lambda: next(clock)
    panel.buttons["print"].pin.drive_low()
    panel.buttons["print"].pin.drive_high()
    assert panel.posted == [ButtonPress("print", 2.5)]


def test_contact_bounce_makes_one_press():
    d = Debouncer(0.05)
    d.pressed(0.0)
    assert d.released(0.01) is None  # bounce
    d.pressed(0.02)
    assert d.released(0.30) == pytest.approx(0.30)
    d.pressed(0.32)  # bounce right after the release
    assert d.released(0.33) is None


def test_a_hundred_presses_in_a_second_post_at_most_one_press_per_bounce_time(panel):
    ticks = iter(i * 0.005 for i in range(200))  # an edge every 5 ms: 100 presses in 1 s
    panel.clock = lambda: next(ticks)
    pin = panel.buttons["print"].pin
    for _ in range(100):
        pin.drive_low()
        pin.drive_high()
    assert 1 <= len(panel.posted) <= 1.0 / panel.cfg.bounce
    assert all(p.seconds >= panel.cfg.bounce for p in panel.posted)
