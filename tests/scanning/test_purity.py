"""The decision modules import no hardware or network library."""
from __future__ import annotations

import subprocess
import sys


def test_core_caps_and_config_import_without_hardware_libraries():
    code = ("import sys\n"
            "for name in ('sane', '_sane', 'cups', 'gpiozero', 'paho', 'PIL', 'img2pdf'):\n"
            "    sys.modules[name] = None\n"
            "import edge.scanning.core, edge.scanning.caps, edge.scanning.config\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
