"""A long outage recorded in a real outbox, for the roll-up tests: minute samples with
holes, Wi-Fi clients coming and going and a print job now and then."""
from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import protocol
from edge.outbox import Outbox
from edge.publisher import encode_row

T0 = 1_764_000_000_000  # 2025-11-24 16:00 UTC: 23:00 in Hà Nội, so the days split in two
MINUTE = 60_000


def record(path: Path, minutes: list[tuple[int, int | None, bool]], start: int = T0,
           unsynced: int = 0) -> Outbox:
    """An outbox of minute samples: (minutes since the previous one, Wi-Fi clients or None,
    whether a job printed just before). The first `unsynced` samples are taken before the
    clock was synchronised (their wall clock a day after 1970), the next is the anchor."""
    box = Outbox(path)
    ts, uptime, jobs = start, 0, 0
    for i, (step, clients, printed) in enumerate(minutes):
        ts += step * MINUTE
        uptime += step * 60
        clock = {}
        if i <= unsynced and unsynced:
            clock = {"tq": "none" if i < unsynced else "ntp", "mono": uptime * 1000}
        stamp = 86_400_000 + uptime * 1000 if i < unsynced else ts
        if printed:
            jobs += 1
            box.append("event", "boot-a", stamp - 1000, {"job": jobs, "pages": 2},
                       type="print.job_completed", **{**clock, "mono": uptime * 1000 - 1000}
                       if clock else {})
        metrics = {"sys.uptime_s": uptime, "print.jobs.total": jobs, "pad": "x" * 120}
        if clients is not None:
            metrics |= {"wifi.clients": clients, "wifi.unique.today": clients * 2}
        box.append("telemetry", "boot-a", stamp, metrics, **clock)
    box.commit()
    return box


def outage(days: float, seed: int = 7) -> list[tuple[int, int | None, bool]]:
    """A long outage's worth of samples: mostly every minute, some holes, Wi-Fi coming and
    going, a job now and then."""
    rnd = random.Random(seed)
    return [(rnd.choice((1, 1, 1, 1, 2, 7)), rnd.choice((None, 0, 1, 3, 4, 9, 12)),
             rnd.random() < 0.01) for _ in range(int(days * 1440))]


def wire(box: Outbox) -> list:
    """The edge's status, then every row of its outbox, as central parses them off the wire."""
    out = [protocol.Status("house-01", True, "boot-a", T0, "0.1.0", "", box.oldest(), box.epoch)]
    for row in box.after(0, 10**6):
        msg, payload = encode_row("house-01", row, box.epoch)
        parse = protocol.parse_telemetry if isinstance(msg, protocol.Telemetry) else \
            protocol.parse_event
        out.append(parse(payload, "house-01"))
    return out


def rolled_up(box: Outbox, tmp: Path, quota: int) -> Outbox:
    """A copy of the outbox rolled up as the agent does when it is over `quota` bytes."""
    target = sqlite3.connect(tmp)
    box.db.backup(target)  # the rows, epoch included (the WAL too, unlike a file copy)
    target.close()
    copy = Outbox(tmp, quota_bytes=quota)
    copy.enforce_quota()
    return copy
