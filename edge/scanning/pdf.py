"""Scan files: page images written as they arrive, PDFs assembled with img2pdf, atomic writes.

Imports Pillow and img2pdf, never sane. A PDF only ever appears under its final name
complete (temporary name, fsync, rename), so a watcher on a share never takes half a file.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import img2pdf
from PIL import Image

SCAN_NAME = re.compile(r"^scan-\d{8}-\d{6}(-\d+)?\.pdf$")
PART_PREFIX = ".ch-part-"  # our temporary files; retention also removes leftovers
PART_NAME = re.compile(r"^\.ch-part-")
A4_MM = (210.0, 297.0)
MM_PER_INCH = 25.4


class PdfError(OSError):
    """A PDF could not be assembled or written (disk full, share gone, bad page)."""


def write_atomic(path: Path, data_writer) -> int:
    """Write via a hidden temporary file in the same directory, then rename; → bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=PART_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            data_writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.stat().st_size


def save_page(image: Image.Image, path: Path, mode: str, dpi: int, quality: int) -> int:
    """Encode one scanned page straight to disk; → bytes written.

    Grey and colour become JPEG (embedded as is in the PDF); lineart a 1-bit PNG.
    """
    if mode == "lineart":
        if image.mode != "1":
            image = image.convert("1", dither=Image.Dither.NONE)
        return write_atomic(path, lambda fh: image.save(fh, "PNG", dpi=(dpi, dpi), optimize=True))
    return write_atomic(path, lambda fh: image.save(fh, "JPEG", quality=quality, dpi=(dpi, dpi)))


def page_path(workdir: Path, number: int, mode: str) -> Path:
    return workdir / f"page-{number:04d}.{'png' if mode == 'lineart' else 'jpg'}"


def job_pages(workdir: Path) -> list[Path]:
    return sorted(p for p in workdir.glob("page-*") if p.suffix in (".jpg", ".png"))


def compose_id_card(front: Path, back: Path, out: Path, dpi: int, quality: int) -> Path:
    """Both sides of a card on one A4 page at `dpi`, front above back, centred."""
    width, height = (round(mm / MM_PER_INCH * dpi) for mm in A4_MM)
    margin = round(20 / MM_PER_INCH * dpi)
    with Image.open(front) as f, Image.open(back) as b:
        mode = "RGB" if "RGB" in (f.mode, b.mode) else "L"
        page = Image.new(mode, (width, height), "white")
        y = margin
        for side in (f, b):
            side = side.convert(mode)
            page.paste(side, ((width - side.width) // 2, y))
            y += side.height + margin
    write_atomic(out, lambda fh: page.save(fh, "JPEG", quality=quality, dpi=(dpi, dpi)))
    return out


def build_pdf(pages: list[Path], out: Path) -> int:
    """Join encoded pages into one PDF without re-encoding them; → bytes."""
    if not pages:
        raise PdfError("no pages to assemble")
    try:
        # Page size follows each image's own dpi, so a page is its scanned area at true size.
        return write_atomic(out, lambda fh: img2pdf.convert([str(p) for p in pages], outputstream=fh))
    except (img2pdf.ImageOpenError, img2pdf.PdfTooLargeError, ValueError) as exc:
        raise PdfError(str(exc)) from exc


def make_thumbnail(page: Path, out: Path, size: int = 240) -> None:
    with Image.open(page) as image:
        image.draft("L" if image.mode == "L" else "RGB", (size, size))  # JPEG: decode scaled down
        image = image.convert("RGB") if image.mode not in ("L", "RGB") else image
        image.thumbnail((size, size))
        write_atomic(out, lambda fh: image.save(fh, "JPEG", quality=70))


def scan_name(created: float, timezone: str, taken: set[str]) -> str:
    """scan-YYYYMMDD-HHMMSS.pdf in the house's time zone, made unique with -2, -3, ..."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = None
    stem = datetime.fromtimestamp(created, zone).strftime("scan-%Y%m%d-%H%M%S")
    name, n = f"{stem}.pdf", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.pdf"
    return name


@dataclass(frozen=True)
class ScanFile:
    name: str
    size: int
    mtime: float
    pages: int = 0


def recent_scans(output_dir: Path, limit: int) -> list[ScanFile]:
    """Our PDFs in the output directory, newest first (other files there are not ours)."""
    found = []
    try:
        entries = list(os.scandir(output_dir))
    except OSError:
        return []
    for entry in entries:
        if SCAN_NAME.match(entry.name):
            try:
                st = entry.stat()
            except OSError:
                continue
            found.append(ScanFile(entry.name, st.st_size, st.st_mtime))
    found.sort(key=lambda f: (f.mtime, f.name), reverse=True)
    return found[:limit]


def file_ages(directory: Path, pattern: re.Pattern | None = None) -> list[tuple[str, float]]:
    """(name, mtime) of the files in a directory, optionally only names matching `pattern`."""
    out = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    for entry in entries:
        if entry.is_file() and (pattern is None or pattern.match(entry.name)):
            try:
                out.append((entry.name, entry.stat().st_mtime))
            except OSError:
                continue
    return out
