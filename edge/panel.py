"""GPIO adapter for the panel: buttons post ButtonPress items, lights show a LightPlan,
the buzzer beeps. The only module that imports gpiozero (inside methods). Callbacks run
on gpiozero's threads and only post immutable items onto the agent's queue.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .config import BUTTONS, LIGHTS, PanelConfig
from .feature import ButtonPress
from .lights import LightPlan

log = logging.getLogger(__name__)
# (on seconds, off seconds, count) per kind: short chirp = yes, two long = no.
BEEPS = {"accept": (0.08, 0.1, 1), "refuse": (0.3, 0.15, 2), "help": (0.08, 0.08, 3),
         "prompt": (0.15, 0.15, 2)}


def make_pin_factory(name: str):
    """The gpiozero pin factory named in config ("" = gpiozero's own choice)."""
    if not name:
        return None
    if name == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin
        return MockFactory(pin_class=MockPWMPin)
    import importlib
    module, cls = {"lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
                   "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
                   "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
                   "native": ("gpiozero.pins.native", "NativeFactory")}[name]
    return getattr(importlib.import_module(module), cls)()


class Debouncer:
    """Turns raw edges of one button into presses: edges closer than `bounce` to the last
    accepted edge are contact bounce. Pure apart from being fed times; not thread-safe
    by itself (the panel holds a lock)."""

    def __init__(self, bounce: float):
        self.bounce = bounce
        self.down_at: float | None = None
        self.last_edge = float("-inf")

    def pressed(self, t: float) -> None:
        if self.down_at is None and t - self.last_edge >= self.bounce:
            self.down_at = t
            self.last_edge = t

    def released(self, t: float) -> float | None:
        """Seconds held, or None when this release is bounce (or no press was seen)."""
        if self.down_at is None or t - self.down_at < self.bounce:
            return None
        held, self.down_at, self.last_edge = t - self.down_at, None, t
        return held


class GpioPanel:
    def __init__(self, cfg: PanelConfig, post: Callable[[object], None], pin_factory=None,
                 clock: Callable[[], float] = time.monotonic):
        self.cfg = cfg
        self.post = post
        self.pin_factory = pin_factory
        self.clock = clock
        self.buttons: dict = {}
        self.lights: dict = {}
        self.buzzer = None
        self._debounce = {name: Debouncer(cfg.bounce) for name in BUTTONS}
        self._lock = threading.Lock()
        self._shown: LightPlan | None = None

    def start(self) -> None:
        from gpiozero import LED, Button, Buzzer
        fitted = self.cfg.fitted()
        for name in BUTTONS:
            pin = fitted.get(f"{name}_button")
            if pin:
                # Debounced here rather than by gpiozero's bounce_time, which not every
                # pin factory (MockFactory among them) applies.
                button = Button(pin, pull_up=True, pin_factory=self.pin_factory)
                button.when_pressed = lambda _b, n=name: self._when_pressed(n)
                button.when_released = lambda _b, n=name: self._when_released(n)
                self.buttons[name] = button
        for name in LIGHTS:
            pin = fitted.get(f"{name}_light")
            if pin:
                self.lights[name] = LED(pin, pin_factory=self.pin_factory)
        if fitted.get("buzzer"):
            self.buzzer = Buzzer(fitted["buzzer"], pin_factory=self.pin_factory)

    def _when_pressed(self, name: str) -> None:
        with self._lock:
            self._debounce[name].pressed(self.clock())

    def _when_released(self, name: str) -> None:
        with self._lock:
            held = self._debounce[name].released(self.clock())
        if held is not None:
            self.post(ButtonPress(name, held))

    def show(self, plan: LightPlan) -> None:
        """Apply a plan; unchanged lights are left alone so blinking is not restarted."""
        previous = self._shown
        self._shown = plan
        for name, led in self.lights.items():
            pattern = getattr(plan, name)
            if previous is not None and getattr(previous, name) == pattern:
                continue
            if pattern[0] == "on":
                led.on()
            elif pattern[0] == "blink":
                led.blink(on_time=pattern[1], off_time=pattern[2], background=True)
            else:
                led.off()
        if previous is None or (previous.red == ("off",)) != (plan.red == ("off",)):
            log.info("panel: red light %s", "on" if plan.red != ("off",) else "off")

    def beep(self, kind: str) -> None:
        """"accept": one short chirp; "refuse": two long beeps; "help": three chirps;
        "prompt": two medium beeps (turn the card over, next page)."""
        if self.buzzer is None:
            return
        on, off, n = BEEPS.get(kind, BEEPS["refuse"])
        self.buzzer.blink(on_time=on, off_time=off, n=n, background=True)

    def close(self) -> None:
        for device in [*self.buttons.values(), *self.lights.values(), self.buzzer]:
            if device is not None:
                device.close()
