"""Scan-to-PDF speed against `scanimage --batch` + `img2pdf`, and peak memory of a feeder scan.

Runs the real scan feature against libsane's `test` backend in child processes, so each
figure starts from a clean process. `python -m bench.scan_pdf` prints the rows.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = 10
AREA_MM = 200  # the test backend's largest scan area
SPEED = {"resolution": 200, "mode": "gray"}
MEMORY = {"resolution": 300, "mode": "color"}


def _child(kind: str, workdir: Path) -> dict:
    """In a fresh process: start the scan feature, scan the feeder, report figures."""
    from edge.config import EdgeConfig
    from edge.feature import ButtonPress, FeatureContext, Now
    from edge.registry import FEATURES
    from common.settings import load_table

    preset = {"source": "feeder", "width_mm": AREA_MM, "height_mm": AREA_MM, "more_pages": False,
              "options": {"test-picture": "Grid"}, **(SPEED if kind == "speed" else MEMORY)}
    cfg = load_table(EdgeConfig, {"house": {"id": "bench"}, "scanner": {
        "enabled": True, "output_dir": str(workdir / "out"), "scan_preset": "bench",
        "presets": {"bench": preset}, "web": {"enabled": False}}})
    items: queue.Queue = queue.Queue()
    events: list = []
    ctx = FeatureContext("bench", workdir / "state", items.put,
                         lambda t, d: events.append((t, dict(d))))
    feature = FEATURES["scanning"].build(cfg, ctx)

    def now() -> Now:
        return Now(time.time(), time.monotonic())

    def loop(until, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError(f"bench: no result; events {events}")
            try:
                feature.handle(items.get(timeout=0.01), now())
            except queue.Empty:
                pass
            feature.tick(now())

    feature.start()
    loop(lambda: feature.state.device == "ready")
    idle = _rss_kb()
    _reset_peak()
    started = time.monotonic()
    feature.on_button(ButtonPress("scan", 0.1), now())
    loop(lambda: any(t in ("scan.completed", "scan.failed") for t, _ in events))
    seconds = time.monotonic() - started
    peak = _peak_kb()
    feature.stop()
    done = dict(events[-1][1])
    return {"seconds": seconds, "idle_kb": idle, "peak_kb": peak, **done}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    return _status("VmRSS")


def _peak_kb() -> int:
    return _status("VmHWM")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _run_child(kind: str, workdir: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.scan_pdf", "--child", kind, str(workdir)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _baseline(workdir: Path, env: dict) -> float:
    """scanimage --batch to JPEG pages, then img2pdf: the same device, pages and quality."""
    pages = workdir / "baseline"
    pages.mkdir()
    img2pdf = Path(sys.executable).with_name("img2pdf")
    started = time.monotonic()
    subprocess.run(["scanimage", "-d", "test:0", "--source", "Automatic Document Feeder",
                    "--mode", "Gray", "--resolution", str(SPEED["resolution"]),
                    "--test-picture", "Grid", "-l", "0", "-t", "0", "-x", str(AREA_MM),
                    "-y", str(AREA_MM), "--format=jpeg", f"--batch={pages}/p%02d.jpg"],
                   env=env, check=True, capture_output=True, timeout=600)
    files = sorted(str(p) for p in pages.glob("p*.jpg"))
    if len(files) != PAGES:
        raise RuntimeError(f"scanimage made {len(files)} pages, expected {PAGES}")
    subprocess.run([str(img2pdf), *files, "-o", str(workdir / "baseline.pdf")], env=env,
                   check=True, capture_output=True, timeout=600)
    return time.monotonic() - started


def run() -> list[tuple[str, float, str]]:
    sys.path.insert(0, str(ROOT))
    from harness.sane import private_sane_config

    with tempfile.TemporaryDirectory(prefix="ch-bench-scan-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "SANE_CONFIG_DIR": str(private_sane_config(work / "sane")),
               "PYTHONPATH": str(ROOT)}
        (work / "speed").mkdir()
        (work / "memory").mkdir()
        ours = _run_child("speed", work / "speed", env)
        base = _baseline(work, env)
        mem = _run_child("memory", work / "memory", env)
    px = round(AREA_MM / 25.4 * MEMORY["resolution"])
    raw_page_mb = px * px * 3 / 1e6
    above_mb = max(0, mem["peak_kb"] - mem["idle_kb"]) * 1024 / 1e6
    return [
        (f"scan-to-PDF, {PAGES}-page feeder, grey {SPEED['resolution']} dpi", ours["seconds"], "s"),
        ("scanimage --batch + img2pdf, same pages", base, "s"),
        ("ratio ours / scanimage+img2pdf (target <= 1.1)", ours["seconds"] / base, "x"),
        ("PDF size per page at that preset", ours["bytes"] / PAGES / 1024, "KB"),
        (f"peak memory above idle, {PAGES}-page colour {MEMORY['resolution']} dpi feeder",
         above_mb, "MB"),
        ("one raw page at that preset", raw_page_mb, "MB"),
        ("peak above idle in raw pages (target < 2)", above_mb / raw_page_mb, "pages"),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], Path(sys.argv[3]))))
    else:
        for figure, value, unit in run():
            print(f"{figure:70s} {value:10.3f} {unit}")
