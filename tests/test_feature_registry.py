"""The feature registry: one table the agent and `check` build from, one shape of constructor."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from common.settings import load_table
from edge.commands import AGENT_COMMANDS
from edge.config import EdgeConfig
from edge.feature import FeatureContext
from edge.registry import FEATURES, build_enabled
from protocol.vocabulary import COMMANDS


def every_feature_on(tmp_path) -> EdgeConfig:
    return load_table(EdgeConfig, {
        "house": {"id": "house-01", "timezone": "Asia/Bangkok", "language": "en"},
        "storage": {"state_dir": str(tmp_path / "state")},
        "panel": {"help_button": 27, "long_press": "3s", "help_timeout": "10m"},
        "printer": {"enabled": True, "queue": "house"},
        "scanner": {"enabled": True, "output_dir": str(tmp_path / "scans"),
                    "web": {"enabled": False}},
        "wifi": {"enabled": True, "sources": ["iw"]},
    })


def context(tmp_path) -> FeatureContext:
    return FeatureContext("house-01", tmp_path / "state", lambda _item: None,
                          lambda _type, _data: None)


@pytest.fixture
def built(tmp_path):
    """Every registered feature, built (not started) from a config that enables them all."""
    cfg = every_feature_on(tmp_path)
    return cfg, {name: entry.build(cfg, context(tmp_path)) for name, entry in FEATURES.items()}


def test_each_feature_is_named_as_its_registry_key(built):
    _cfg, features = built
    assert {name: f.name for name, f in features.items()} == {name: name for name in FEATURES}


def test_each_feature_is_built_from_its_own_section_and_explicit_scalars(built):
    cfg, f = built
    assert f["printing"].cfg is cfg.printer and f["printing"].long_press == 3.0
    assert f["scanning"].cfg is cfg.scanner
    assert (f["scanning"].timezone, f["scanning"].language, f["scanning"].long_press,
            f["scanning"].copy_enabled) == ("Asia/Bangkok", "en", 3.0, True)
    assert f["wifi"].cfg is cfg.wifi and f["wifi"].timezone == "Asia/Bangkok"
    assert f["help"].timeout == 600.0


def test_only_the_features_the_config_switches_on_are_built(tmp_path):
    cfg = every_feature_on(tmp_path)
    assert [f.name for f in build_enabled(cfg, context(tmp_path))] == list(FEATURES)
    only_help = replace(cfg, printer=replace(cfg.printer, enabled=False),
                        scanner=replace(cfg.scanner, enabled=False),
                        wifi=replace(cfg.wifi, enabled=False))
    assert [f.name for f in build_enabled(only_help, context(tmp_path))] == ["help"]
    nothing = replace(only_help, panel=replace(cfg.panel, help_button=0))
    assert build_enabled(nothing, context(tmp_path)) == []


def test_every_vocabulary_command_is_answered_by_the_agent_or_declared_by_its_owner(built):
    _cfg, features = built
    for name, spec in COMMANDS.items():
        declared_by = [f.name for f in features.values() if name in f.commands]
        if spec.owner == "agent":
            assert name in AGENT_COMMANDS and declared_by == [], name
        else:
            assert name not in AGENT_COMMANDS and declared_by == [spec.owner], name


def test_features_declare_only_the_vocabularys_commands_of_their_own(built):
    _cfg, features = built
    for feature in features.values():
        assert {COMMANDS[c].owner for c in feature.commands} <= {feature.name}, feature.name
    assert {COMMANDS[c].owner for c in AGENT_COMMANDS} == {"agent"}


def test_no_item_type_is_declared_by_two_features(built):
    _cfg, features = built
    declared = [t for f in features.values() for t in f.items]
    assert declared and len(declared) == len(set(declared))


def test_features_not_switched_on_are_never_imported(tmp_path):
    """pycups and python-sane stay optional: a house without printer or scanner never
    imports them, in the agent or in `check`."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from edge.config import EdgeConfig\n"
        "from edge.feature import FeatureContext\n"
        "from edge.registry import build_enabled\n"
        "import edge.agent, edge.check\n"
        f"ctx = FeatureContext('h', Path({str(tmp_path)!r}), print, print)\n"
        "assert build_enabled(EdgeConfig(), ctx) == []\n"
        "loaded = [m for m in ('cups', 'sane', 'edge.printing.feature', 'edge.scanning.feature',"
        " 'edge.wifi.feature') if m in sys.modules]\n"
        "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
