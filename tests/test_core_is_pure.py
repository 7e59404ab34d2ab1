"""The functional core imports no hardware or network library (gpiozero, cups, sane, paho)."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('gpiozero', 'cups', 'sane', '_sane', 'paho', 'lgpio', 'PIL',
                                  'img2pdf'):
            raise ImportError('the core must not import ' + name)
sys.meta_path.insert(0, Block())
import importlib
importlib.import_module(sys.argv[1])
"""


def pure_modules() -> list[str]:
    """Modules whose docstring or name marks them as decisions-only."""
    names = ["protocol", "common.settings", "edge.feature", "edge.lights", "edge.config",
             "edge.commands", "edge.outbox", "edge.sysmetrics"]
    for pkg in ("printing", "scanning", "wifi"):
        for name in ("core", "tracker", "parsers", "rollup", "privacy", "config"):
            if (REPO / "edge" / pkg / f"{name}.py").exists():
                names.append(f"edge.{pkg}.{name}")
    return names


@pytest.mark.parametrize("module", pure_modules())
def test_pure_module_imports_without_hardware_libraries(module):
    proc = subprocess.run([sys.executable, "-c", BLOCKER, module], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
