"""The seam every edge feature (printing, scanning, Wi-Fi, help) plugs into.

The agent's main loop owns time and the outbox. A feature is built by edge/registry.py
from its own config section, a `FeatureContext` and explicit scalars; it starts its own
adapter threads (which may only `ctx.post(item)` immutable items onto the main queue),
and is called back on the main thread.
Pure: standard library only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:  # only a type here: the seam itself stays standard library only
    from common.checks import CheckLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Now:
    """Time passed into decisions: wall clock (unix s) and monotonic clock (s)."""

    wall: float
    mono: float


@dataclass(frozen=True)
class ButtonPress:
    """A debounced press of a panel button, after release; `seconds` held."""

    button: str  # "print", "scan", "copy", "help"
    seconds: float
    source: str = "panel"  # "panel" or "command" (remote `press` from a technician)


@dataclass(frozen=True)
class CopyRequest:
    """Posted by the scan feature after a COPY scan; the print feature prints it unheld.

    The print feature owns the CUPS job, counts copy.jobs.total / copy.pages.total and
    emits copy.completed; the file is the scan feature's to delete afterwards.
    """

    path: str
    pages: int
    copy_id: str


@dataclass(frozen=True)
class Indicator:
    """What a feature wants the status lights to say.

    level: "ok" (ready), "busy" (working), "attention" (needs a person), "prompt"
    (waiting for the citizen, e.g. turn the ID card over). cause: a stable keyword
    such as "paper_out", "jam", "printer_offline", "scanner_fault", "broker_down".
    count: a number the cause's spoken prompt names (pages being printed), 0 = not known.
    """

    level: str = "ok"
    cause: str = ""
    count: int = 0


@dataclass(frozen=True)
class Emit:
    """A decision's request to queue an event (applied by the feature with ctx.emit)."""

    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class CommandOutcome:
    ok: bool
    detail: Any = None


@dataclass
class FeatureContext:
    """What the agent hands to each feature."""

    house: str
    state_dir: Path
    post: Callable[[object], None]  # thread-safe: put an item on the main queue
    emit: Callable[[str, Mapping[str, Any]], None]  # main thread only: queue an event
    pin_factory: Any = None  # gpiozero pin factory (MockFactory in tests and the demo)
    extras: dict = field(default_factory=dict)


class Feature:
    """Base class with no-op defaults; every method runs on the agent's main thread.

    A feature declares what it owns, and the agent routes only that to it: `commands`
    (names whose owner in protocol.vocabulary.COMMANDS is this feature's `name`, which is
    also its key in edge.registry.FEATURES) and `items` (the types of the items its
    adapter threads post). Button presses are offered to each feature in turn.
    """

    name = "feature"
    commands: frozenset[str] = frozenset()
    items: tuple[type, ...] = ()
    refusal = ""  # why the last press this feature refused was refused ("" = not said)

    def start(self) -> None:
        """Open devices and start adapter threads."""

    def stop(self) -> None:
        """Stop threads and release devices (called once on shutdown)."""

    def handle(self, item: object, now: Now) -> bool:
        """Handle an item of one of the types in `items`; True when it was taken."""
        return False

    def on_button(self, press: ButtonPress, now: Now) -> bool | None:
        """A button press routed to this feature: True accepted, False refused, None not ours."""
        return None

    def tick(self, now: Now) -> None:
        """Called at least once a second for timers (expiry, polling, retention)."""

    def metrics(self, now: Now) -> Mapping[str, Any]:
        """Current telemetry metrics (cumulative counters named *.total)."""
        return {}

    def indicator(self, now: Now) -> Indicator:
        return Indicator()

    def healthy(self, now: Now) -> bool:
        """False when the feature is stuck past recovery: the agent then stops its systemd
        watchdog pings, so systemd restarts the whole agent."""
        return True

    def on_command(self, name: str, args: Mapping[str, Any], now: Now) -> CommandOutcome | None:
        """One of `commands`, its arguments already checked against the vocabulary."""
        return None

    def rescan(self, now: Now) -> Any:
        """Look for this feature's device again (the `rescan_devices` command); the detail
        to report, or None when the feature has no device."""
        return None

    def check(self) -> list[CheckLine]:
        """Self-check lines for `culturehouse-edge check`, built from catalogue keys
        (common.checks.check_line) so the report speaks the house's language."""
        return []


def feature_named(features: Sequence[Feature], name: str) -> Feature | None:
    """The enabled feature called `name` (a command's owner), if any."""
    return next((f for f in features if f.name == name), None)


def item_owner(features: Sequence[Feature], item: object) -> Feature | None:
    """The feature that declared the item's type in its `items`, if any."""
    return next((f for f in features if isinstance(item, f.items)), None)


class Features(list):
    """The enabled features, in the registry's order, and what the agent asks of them all.

    One feature's failure in tick, metrics or stop is logged and does not stop the others.
    """

    def start(self) -> None:
        for feature in self:
            feature.start()

    def stop(self) -> None:
        for feature in self:
            try:
                feature.stop()
            except Exception:
                log.exception("stopping %s failed", feature.name)

    def tick(self, now: Now) -> None:
        for feature in self:
            try:
                feature.tick(now)
            except Exception:
                log.exception("tick of %s failed", feature.name)

    def metrics(self, now: Now) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for feature in self:
            try:
                found.update(feature.metrics(now))
            except Exception:  # a broken feature must not stop telemetry
                log.exception("metrics of %s failed", feature.name)
        return found

    def press(self, press: ButtonPress, now: Now) -> bool | None:
        """Offered to each feature in turn until one takes it (True/False), else None."""
        return self.answer(press, now)[0]

    def answer(self, press: ButtonPress, now: Now) -> tuple[bool | None, str]:
        """The press's outcome and, when refused, why: the feature's own `refusal`, else
        the cause its indicator shows (e.g. "scanner_missing"), else ""."""
        for feature in self:
            outcome = feature.on_button(press, now)
            if outcome is None:
                continue
            if outcome:
                return outcome, ""
            shown = feature.indicator(now)
            return outcome, feature.refusal or (shown.cause if shown.level == "attention"
                                                else "")
        return None, ""

    def indicators(self, now: Now) -> list[Indicator]:
        return [feature.indicator(now) for feature in self]

    def stuck(self, now: Now) -> list[str]:
        """Names of the features stuck past recovery."""
        return [feature.name for feature in self if not feature.healthy(now)]
