"""[wifi] section of the edge config."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WifiConfig:
    enabled: bool = False
