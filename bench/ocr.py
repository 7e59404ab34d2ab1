"""Searchable scans: OCR seconds per page and word accuracy on the Vietnamese test page.

The page (tests/data/ocr/vietnamese_page.txt, rendered by harness/ocrpage.py and built
into a PDF by the scan pipeline's own code) goes through the agent's OCR worker: the real
`nice -n 19 ocrmypdf -l vie --deskew --jobs 1` with Tesseract's Vietnamese data. Accuracy
is word-level (Unicode NFC, lower case, punctuation dropped; the longest common
subsequence of the words read and the words written, over the words written).
`python -m bench.ocr` prints the rows.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = 3
# (label, render arguments): the default preset's 200 dpi, the ID-card preset's 300 dpi,
# and a worn photocopy laid askew.
CASES = (("200 dpi", {"dpi": 200}), ("300 dpi", {"dpi": 300}),
         ("worn copy 150 dpi, 3°", {"dpi": 150, "skew": 3.0, "quality": 50, "rough": True}))


def measure(workdir: Path, label: str, args: dict) -> tuple[float, float, float, float]:
    """(seconds per page, CPU seconds per page, word accuracy, size after / before) of one
    PDF of PAGES copies of the page. CPU time (ocrmypdf and Tesseract, user + system) does not grow when other
    work shares the cores; the wall time at nice 19 does."""
    import resource
    from edge.scanning.config import OcrConfig
    from edge.scanning.ocr import OcrWorker, adopt, order_for
    from harness.ocrpage import page_text, pdf_text, render_page, word_accuracy
    path = workdir / f"scan-{label.split()[0]}-{len(args)}.pdf"
    render_page(path, pages=PAGES, **args)
    delivered = path.stat().st_size
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = OcrWorker(OcrConfig(), lambda item: None).run_one(order_for(path, "bench", PAGES))
    if adopt(done):
        raise RuntimeError(f"OCR failed on the {label} page: {done.reason}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (done.seconds / PAGES, cpu / PAGES,
            word_accuracy(page_text() * PAGES, pdf_text(path)), path.stat().st_size / delivered)


def run() -> list[tuple[str, float, str]]:
    sys.path.insert(0, str(ROOT))
    rows = []
    with tempfile.TemporaryDirectory(prefix="ch-bench-ocr-") as tmp:
        for label, args in CASES:
            seconds, cpu, accuracy, size = measure(Path(tmp), label, args)
            rows.append((f"OCR seconds per page ({label})", round(seconds, 2), "s"))
            rows.append((f"OCR CPU seconds per page ({label})", round(cpu, 2), "s"))
            rows.append((f"OCR word accuracy, Vietnamese page ({label})",
                         round(accuracy * 100, 1), "%"))
            rows.append((f"searchable PDF size, % of delivered ({label})",
                         round(size * 100, 1), "%"))
    return rows


if __name__ == "__main__":
    for figure, value, unit in run():
        print(f"{figure}: {value} {unit}")
