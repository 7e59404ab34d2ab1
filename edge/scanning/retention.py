"""Deleting scan files when their time is up: by the time on record, else the file's own.

Files only: the caller forgets the records of the scans it reports gone.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from . import core, pdf

log = logging.getLogger(__name__)


def sweep(output_dir: Path, thumbs_dir: Path, copies_dir: Path, recorded: Mapping[str, float],
          now_wall: float, keep: float, keep_copies: float) -> list[str]:
    """Delete what is due; → the recorded scans that are gone (file and thumbnail).

    A recorded scan goes `keep` after its recorded time, whatever its file's time says; a
    file without a record (made before records, or its record lost) goes by its own time.
    """
    gone = [name for name in core.expired(list(recorded.items()), now_wall, keep)
            if _delete(output_dir / name) and _delete(thumbs_dir / (name[:-4] + ".jpg"))]
    removed = len(gone)
    for directory, pattern, limit in ((output_dir, pdf.SCAN_NAME, keep),
                                      (output_dir, pdf.PART_NAME, keep),
                                      (thumbs_dir, None, keep),
                                      (copies_dir, None, keep_copies)):
        unrecorded = [(name, mtime) for name, mtime in pdf.file_ages(directory, pattern)
                      if name not in recorded and name[:-4] + ".pdf" not in recorded]
        removed += sum(_delete(directory / name)
                       for name in core.expired(unrecorded, now_wall, limit))
    if removed:
        log.info("retention: %d old scan file(s) deleted", removed)
    return gone


def _delete(path: Path) -> bool:
    """Delete a file; False only when it is there and stays there."""
    try:
        path.unlink(missing_ok=True)
        return True
    except OSError as exc:
        log.warning("retention: could not delete a scan: %s", exc.strerror or exc)
        return False
