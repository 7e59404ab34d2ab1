"""A Vietnamese test page for OCR, made without a scanner, and how well OCR read it.

The page is rendered with Pillow and a DejaVu font (Debian fonts-dejavu-core has every
Vietnamese diacritic) at 300 dpi, slightly rotated like a sheet laid on a flatbed by hand,
then encoded and joined by the scan pipeline's own code (edge.scanning.pdf: grey JPEG
pages, img2pdf) into the image-only PDF a scan delivers. Shared by tests/scanning and
bench/ocr.py.
"""
from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

TEXT_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "ocr" / \
    "vietnamese_page.txt"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
A4_MM = (210, 297)


def page_text() -> str:
    return TEXT_FILE.read_text(encoding="utf-8")


def render_page(path: Path, text: str | None = None, dpi: int = 300, skew: float = 1.0,
                pages: int = 1, quality: int = 75, rough: bool = False) -> Path:
    """A scan PDF of `text` (11 pt) on A4 at `dpi`, `pages` times, rotated by `skew`°;
    `rough`: a worn photocopy (blurred, speckled, grey paper)."""
    import random
    import tempfile
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
    from edge.scanning import pdf
    text = unicodedata.normalize("NFC", text if text is not None else page_text())
    size = tuple(round(mm / 25.4 * dpi) for mm in A4_MM)
    font = ImageFont.truetype(str(FONT), round(11 / 72 * dpi))
    images = []
    for _ in range(pages):
        page = Image.new("L", size, 255)
        draw = ImageDraw.Draw(page)
        x, y = round(25 / 25.4 * dpi), round(25 / 25.4 * dpi)
        for line in text.splitlines():
            draw.text((x, y), line, font=font, fill=20)
            y += round(font.size * 1.6)
        if rough:
            page = page.filter(ImageFilter.GaussianBlur(dpi / 150))
            noise = random.Random(15)  # the same page every run
            pixels = page.load()
            for _ in range(size[0] * size[1] // 60):
                xy = (noise.randrange(size[0]), noise.randrange(size[1]))
                pixels[xy] = noise.choice((60, 120, 200))
            page = page.point(lambda v: 100 + v * 120 // 255)  # grey paper, faded ink
        images.append(page.rotate(skew, resample=Image.BICUBIC, fillcolor=220 if rough else 255))
    with tempfile.TemporaryDirectory(prefix="ch-ocrpage-") as work:
        files = []
        for number, image in enumerate(images, 1):
            files.append(pdf.page_path(Path(work), number, "gray"))
            pdf.save_page(image, files[-1], "gray", dpi, quality)
        pdf.build_pdf(files, path)
    return path


def pdf_text(path: Path) -> str:
    """The PDF's text layer as pdftotext (poppler-utils) reads it; "" for an image PDF."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def words(text: str) -> list[str]:
    """Words for comparison: Unicode NFC, lower case, punctuation dropped."""
    text = unicodedata.normalize("NFC", text).lower()
    return re.findall(r"\w+", text)


def word_accuracy(expected: str, got: str) -> float:
    """Share of the expected words OCR read, in order (longest common subsequence of the
    two word lists over the expected count): a missed, wrong or split word counts as lost."""
    want, have = words(expected), words(got)
    if not want:
        return 1.0
    previous = [0] * (len(have) + 1)
    for w in want:
        current = [0]
        for j, h in enumerate(have):
            current.append(previous[j] + 1 if w == h else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1] / len(want)
