"""The ten example house configs in config/houses/ are valid and distinct."""
from __future__ import annotations

from pathlib import Path

import pytest

from edge import config as edge_config

HOUSES = sorted((Path(__file__).resolve().parents[2] / "config" / "houses").glob("*.toml"))


def test_there_are_ten_houses_named_house_01_to_house_10():
    assert [p.stem for p in HOUSES] == [f"house-{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize("path", HOUSES, ids=lambda p: p.stem)
def test_house_config_loads_and_its_id_matches_the_file_name(path):
    cfg = edge_config.load(path, environ={})
    assert cfg.house.id == path.stem
    assert cfg.mqtt.password == ""  # secrets live in edge.env, never in the repo


def test_house_names_are_distinct_and_one_is_thon_quang():
    names = [edge_config.load(p, environ={}).house.name for p in HOUSES]
    assert len(set(names)) == len(names)
    assert sum("thôn Quẵng" in name for name in names) == 1


def test_all_houses_share_the_documented_panel_wiring():
    panels = {edge_config.load(p, environ={}).panel for p in HOUSES}
    assert len(panels) == 1
    docs = (HOUSES[0].parents[2] / "docs" / "deploy.md").read_text()
    panel = panels.pop()
    for name in ("print_button", "scan_button", "copy_button", "help_button", "green_light",
                 "amber_light", "red_light", "help_light", "buzzer"):
        assert f"GPIO{getattr(panel, name)} " in docs
