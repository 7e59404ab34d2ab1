"""[scanning] section of the edge config."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScannerConfig:
    enabled: bool = False
