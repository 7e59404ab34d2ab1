"""Time to make the monthly report (XLSX and PDF) for a demo-sized fleet and a large one.

Fills a real store through the ingest path (bench.dashboard.fill: 30 days, 8 events and
4 samples per house per day), places the houses 10 to a commune, 4 communes to a district,
3 districts to a province, and times central.reports.month_file for this month.
Run: python -m bench.report_month [houses ...]   (default 10, the demo's fleet, and 1000)
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.dashboard import fill
from central import reports, rollups
from central.config import HouseEntry
from central.store import Store


def places(houses: int) -> dict[str, HouseEntry]:
    out = {}
    for h in range(houses):
        commune, district, province = h // 10, h // 40, h // 120
        out[f"house-{h:04d}"] = HouseEntry(f"Nhà văn hóa số {h}", f"Xã {commune}",
                                           f"Huyện {district}", f"Tỉnh {province}")
    return out


def run(*fleets: int) -> list[tuple[str, float, str]]:
    results: list[tuple[str, float, str]] = []
    for houses in fleets or (10, 1000):
        root = Path(tempfile.mkdtemp(prefix="ch-bench-report-"))
        try:
            store = Store(root / "central.sqlite")
            rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
            now = int(time.time() * 1000)
            fill(store, houses, 30, now)
            db = store.reader()
            for fmt in ("xlsx", "pdf"):
                t = time.perf_counter()
                data, _, _ = reports.month_file(db, None, fmt, places(houses), "vi", now)
                results += [(f"{houses} houses: {fmt}", time.perf_counter() - t, "s"),
                            (f"{houses} houses: {fmt} size", len(data) // 1024, "KiB")]
            store.close()
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    for figure, value, unit in run(*map(int, sys.argv[1:])):
        print(f"{figure}: {value:,.3f} {unit}" if isinstance(value, float)
              else f"{figure}: {value:,} {unit}")
