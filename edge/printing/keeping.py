"""A jam never eats a job: which jobs a printer fault takes back, held again so that their
citizen's next PRINT press (after the fault is cleared) prints them.

A job in the printer (processing, pending or stopped) while it shows a jam, paper-out or
an open door/cover is held at once; one that ended cancelled or aborted by the printer in
such a fault is restarted held (CUPS still has its document while `PreserveJobFiles`
keeps it). Jobs someone cancelled on purpose, and jobs the agent gave up on, stay ended.
Pure: standard library and edge.printing.rules only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .rules import (ABORTED, CANCELED, PENDING, PROCESSING, STOPPED, Intent, PrinterStatus,
                    Restart, Snapshot, problem)

# Faults the citizen's job waits out: the staff clear them, then the citizen presses PRINT.
KEEP_CAUSES = ("jam", "paper_out", "cover_open")
# Seconds a fault must last before jobs are taken back: when a job starts, CUPS shows the
# reasons its previous job left behind for about a second (seen with ippeveprinter).
KEEP_AFTER = 3.0
IN_PRINTER = (PROCESSING, PENDING, STOPPED)
ON_PURPOSE = ("cancel", "expired", "stuck")  # intents after which an ended job stays ended


@dataclass(frozen=True)
class Hold:
    """Hold a job again (CUPS Hold-Job: it stops printing and waits for a release)."""

    job_id: int


def keep_cause(status: PrinterStatus | None, block_on: Iterable[str]) -> str:
    """The fault that takes jobs back ("jam", "paper_out", "cover_open"), or ""."""
    if status is None:
        return ""
    cause = problem(status, block_on)
    return cause if cause in KEEP_CAUSES else ""


def fault_since(snap: Snapshot, block_on: Iterable[str], since: float | None,
                now_mono: float) -> float | None:
    """Since when (monotonic) the printer shows a fault that takes jobs back; None: none."""
    if not keep_cause(snap.status, block_on):
        return None
    return now_mono if since is None else since


def to_hold(snap: Snapshot, block_on: Iterable[str], since: float | None, now_mono: float,
            claimed: Iterable[int] = ()) -> list[Hold]:
    """Jobs in the printer once it has shown a fault that takes them back for KEEP_AFTER."""
    if since is None or now_mono - since < KEEP_AFTER or not keep_cause(snap.status, block_on):
        return []
    claimed = set(claimed)
    return [Hold(j.id) for j in snap.jobs if j.state in IN_PRINTER and j.id not in claimed]


def to_restart(prev: Snapshot | None, new: Snapshot, intents: Mapping[int, Intent],
               block_on: Iterable[str]) -> list[tuple[Restart, str]]:
    """Jobs the printer ended (cancelled or aborted) in a fault: restarted held, with the
    fault's cause."""
    cause = keep_cause(new.status, block_on) or keep_cause(prev.status if prev else None,
                                                           block_on)
    if not cause:
        return []
    return [(Restart(j.id, hold=True), cause) for j in new.finished
            if j.state in (CANCELED, ABORTED)
            and intents.get(j.id, Intent("")).why not in ON_PURPOSE]
