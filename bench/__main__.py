"""Run every benchmark module in bench/ (or those named) and print one table of figures.

Benchmarks report; they never fail the build. A benchmark that crashes is reported as such.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or discover()
    rows: list[tuple[str, str, str, str]] = []
    for name in names:
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(f"bench.{name}")
            for figure, value, unit in module.run():
                shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
                rows.append((name, figure, shown, unit))
        except Exception:
            traceback.print_exc()
            rows.append((name, "FAILED (see above)", "", ""))
        print(f"  done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows + [("benchmark", "figure", "value", "unit")])
              for i in range(4)]
    header = ("benchmark", "figure", "value", "unit")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.rjust(w) if i == 2 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
