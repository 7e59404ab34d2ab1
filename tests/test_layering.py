"""The building's floors: protocol under common under edge and central, never sideways.

Read from the source with `ast`, so an import inside a function counts as much as one
at the top of a module.
"""
import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# What each package may import besides the standard library and itself.
ALLOWED = {
    "protocol": set(),
    "common": {"protocol", "paho", "waitress"},
    # jinja2: the pages' templates; the central extra: openpyxl, reportlab (the monthly
    # report's XLSX and PDF), prometheus_client (/metrics) and psycopg (the PostgreSQL store)
    "central": {"protocol", "common", "paho", "jinja2", "openpyxl", "reportlab",
                "prometheus_client", "psycopg"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def modules_of(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_floor_allows(package):
    stdlib = sys.stdlib_module_names
    wrong = {}
    for path in modules_of(package):
        extra = {r for r in imported_roots(path)
                 if r not in stdlib and r != package and r not in ALLOWED[package]}
        if extra:
            wrong[str(path.relative_to(REPO))] = sorted(extra)
    assert not wrong, f"imports outside the floor: {wrong}"


def test_central_never_imports_edge():
    offenders = [str(p.relative_to(REPO)) for p in modules_of("central")
                 if "edge" in imported_roots(p)]
    assert offenders == []


def test_the_layering_check_sees_a_nested_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from edge import agent\n    import cups.x\n")
    assert imported_roots(sample) == {"edge", "cups"}
