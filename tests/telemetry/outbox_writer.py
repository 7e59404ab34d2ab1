"""A process that writes to a real outbox as fast as it can, for the power-cut test.

Each run appends rows tagged with its run number, commits in small batches, frees
acknowledged rows and rolls up over a tiny quota, printing every committed seq.
"""
from __future__ import annotations

import sys

from edge.outbox import Outbox


def main(path: str, run: int) -> None:
    box = Outbox(path, quota_bytes=40_000)
    n = 0
    while True:
        for _ in range(5):
            seq = box.append("telemetry", f"run-{run}", 1_764_000_000_000 + n * 1000,
                             {"run": run, "n": n, "pad": "x" * 100})
            n += 1
        box.commit()
        print(seq, flush=True)
        if n % 50 == 0:
            box.delete_upto(seq - 200)
            box.commit()
        if n % 100 == 0:
            box.enforce_quota()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
