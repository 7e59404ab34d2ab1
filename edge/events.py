"""Rows into the outbox: events checked against the contract before they get a seq, and
every row (event or sample) stamped with its time and the clock's quality.

Imports the protocol package and the standard library; the outbox and clock come in.
Pure: standard library, protocol and edge.feature only.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Mapping

import protocol
from protocol.vocabulary import event_problems as vocabulary_problems

from .feature import Now

log = logging.getLogger(__name__)
# Room left in a payload for an event's envelope (house, boot, seq, ts, type, tq, mono):
# data that fits beside it can never be refused once it has a seq.
ENVELOPE_BYTES = 512


def event_problems(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """Every reason the contract refuses this event (empty when it may be queued)."""
    if not isinstance(event_type, str) or not protocol.EVENT_TYPE.match(event_type):
        return ["type: event types are dotted lower-case words"]
    try:
        protocol.check_data(dict(data))
    except protocol.PayloadError as exc:
        return [str(exc)]
    problems = vocabulary_problems(event_type, data)
    size = len(json.dumps(dict(data), ensure_ascii=False, separators=(",", ":")).encode())
    if size > protocol.MAX_PAYLOAD - ENVELOPE_BYTES:
        problems.append(f"too_large: {size} bytes of data")
    return problems


class OutboxWriter:
    """Appends this boot's events and samples to the outbox with tq and mono.

    mono goes with every row while the clock is unsynchronised, and once more on the first
    synchronised row after them, as the anchor central re-times them from.
    """

    def __init__(self, outbox, boot: str, clock_quality: Callable[[float], str]):
        self.outbox = outbox
        self.boot = boot
        self.clock_quality = clock_quality
        self.rejected = 0  # events refused by the contract (events.rejected.total)
        self._anchor_due = False

    def _clock_fields(self, at: Now) -> dict:
        mono = int(at.mono * 1000)
        if self.clock_quality(at.wall) == "none":
            self._anchor_due = True
            return {"tq": "none", "mono": mono}
        if self._anchor_due:
            self._anchor_due = False
            return {"tq": "ntp", "mono": mono}
        return {"tq": "ntp"}

    def event(self, event_type: str, data: Mapping[str, Any], at: Now) -> int | None:
        """Queue an event; refused (counted, logged) if it breaks the contract."""
        problems = event_problems(event_type, data)
        if problems:
            self.rejected += 1
            log.error("event %s not queued: %s", event_type, "; ".join(problems))
            return None
        return self.outbox.append("event", self.boot, int(at.wall * 1000), dict(data),
                                  type=event_type, **self._clock_fields(at))

    def sample(self, metrics: Mapping[str, Any], at: Now, full: bool = False) -> int:
        """Queue a telemetry sample (`full`: with every metric, else only the changed ones);
        0 when it breaks the contract (dropped, logged)."""
        try:
            protocol.check_metrics(metrics)
        except protocol.PayloadError as exc:
            log.error("telemetry sample dropped: %s", exc)
            return 0
        return self.outbox.append("telemetry", self.boot, int(at.wall * 1000), dict(metrics),
                                  full=full, **self._clock_fields(at))
