"""Every module that declares itself pure imports no device, network or image library.

The declaration is one line of the module's docstring that starts with `Pure:` and says
what the module imports, e.g. `Pure: standard library only.` or `Pure: standard library
and edge.feature only.` It covers decisions, data, parsers and plain-file or socket I/O:
code that needs no library for a device or the network. Such a module is imported in a
fresh interpreter (so what it imports counts too) with gpiozero, lgpio, cups, sane, paho,
PIL and img2pdf blocked, and sqlite3 too unless its `Pure:` line names sqlite3 (a module
that keeps its own file: `Pure: standard library and sqlite3 (through common.db) only.`).
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "common", "edge", "central")
HARDWARE_AND_NETWORK = ("gpiozero", "lgpio", "cups", "sane", "_sane", "paho", "PIL", "img2pdf")
STORAGE = ("sqlite3", "_sqlite3")
MARKER = re.compile(r"^Pure:\s*(.*?)(?:\.\s*$|\.\s|\Z)", re.MULTILINE | re.DOTALL)
BLOCKER = """
import importlib, sys
blocked = set(sys.argv[2].split(','))
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in blocked:
            raise ImportError(f'{sys.argv[1]} declares itself pure but imports {name}')
sys.meta_path.insert(0, Block())
importlib.import_module(sys.argv[1])
"""


def purity(source: str) -> str | None:
    """The text of a module's `Pure:` line (what it may import), or None if it has none."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    found = MARKER.search(doc)
    return " ".join(found.group(1).split()) if found else None


def pure_modules() -> dict[str, str]:
    """Module name -> its `Pure:` line, for every module of the four packages that has one."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            floor = purity(path.read_text())
            if floor is not None:
                parts = path.relative_to(REPO).with_suffix("").parts
                found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = floor
    return found


def blocked_for(floor: str) -> tuple[str, ...]:
    return HARDWARE_AND_NETWORK + (() if "sqlite3" in floor else STORAGE)


PURE = pure_modules()


@pytest.mark.parametrize("module", sorted(PURE))
def test_pure_module_imports_no_device_network_or_image_library(module):
    proc = subprocess.run([sys.executable, "-c", BLOCKER, module,
                           ",".join(blocked_for(PURE[module]))],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_decision_modules_declare_themselves_pure():
    cores = {"protocol", "common.settings", "edge.lights", "edge.help", "edge.printing.core",
             "edge.scanning.core", "edge.wifi.tracker", "edge.wifi.rollup", "central.alerts"}
    assert cores <= set(PURE)


def test_the_marker_is_a_docstring_line_and_names_what_may_be_imported():
    assert purity('"""Lights.\n\nPure: standard library and edge.feature only.\n"""') == \
        "standard library and edge.feature only"
    assert purity('"""Store.\n\nPure: standard library and sqlite3\n(through common.db) '
                  'only. More text.\n"""') == \
        "standard library and sqlite3 (through common.db) only"
    assert purity('"""Pure transitions over a frozen state."""') is None
    assert purity('x = 1\n"""Pure: not a docstring."""') is None


def test_sqlite3_is_blocked_unless_the_marker_names_it():
    assert "sqlite3" in blocked_for("standard library only")
    assert "sqlite3" not in blocked_for("standard library and sqlite3 only")
    assert "paho" in blocked_for("standard library and sqlite3 only")
