"""The [scanner] config section: defaults, presets, and every problem reported at once."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from edge.scanning.config import ScannerConfig
from common.settings import ConfigError, load_table

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "edge.example.toml"


def test_defaults_are_a4_grey_200_dpi_kept_two_hours_on_port_8080():
    cfg = ScannerConfig()
    preset = cfg.all_presets[cfg.scan_preset]
    assert (preset.mode, preset.resolution, preset.width_mm, preset.height_mm) == ("gray", 200, 210, 297)
    assert cfg.retention == 7200 and cfg.web.port == 8080 and cfg.queue_limit == 1


def test_configured_presets_join_the_builtin_ones():
    cfg = load_table(ScannerConfig, {"presets": {"photo": {"mode": "color", "resolution": 300}},
                                     "scan_preset": "photo"})
    assert {"photo", "default", "id_card"} <= set(cfg.all_presets)
    assert cfg.all_presets["photo"].mode == "color"


def test_bad_scanner_config_lists_every_problem_with_its_key():
    with pytest.raises(ConfigError) as err:
        load_table(ScannerConfig, {"scan_preset": "nope", "queue_limit": 9, "retention": "10s"})
    text = str(err.value)
    assert "scan_preset: no preset named 'nope'" in text
    assert "queue_limit: must be between 0 and 5" in text and "retention: must be at least 1m" in text


def test_bad_preset_and_web_values_are_reported():
    with pytest.raises(ConfigError) as err:
        load_table(ScannerConfig, {"presets": {"x": {"source": "tray", "resolution": 5}},
                                   "web": {"pin": "12", "allowed_subnets": ["house"]}})
    text = str(err.value)
    assert "presets.x.source: must be one of" in text
    assert "web.allowed_subnets[0]: not a subnet" in text


def test_id_card_layout_needs_the_flatbed():
    with pytest.raises(ConfigError, match="layout: id_card needs source"):
        load_table(ScannerConfig, {"presets": {"card": {"layout": "id_card", "source": "feeder"}}})


def test_example_config_scanner_section_loads_and_documents_every_key():
    table = tomllib.loads(EXAMPLE.read_text())
    cfg = load_table(EdgeConfig, table)
    assert isinstance(cfg.scanner, ScannerConfig)
    region = EXAMPLE.read_text().split("## --- [scanner]")[1].split("## --- end [scanner]")[0]
    for key in ("enabled", "scan_preset", "copy_preset", "output_dir", "retention",
                "copy_retention", "queue_limit", "next_page_window", "id_card_window",
                "fault_display", "rescan_interval", "vendor", "model", "serial", "name",
                "source", "mode", "resolution", "width_mm", "height_mm", "layout", "more_pages",
                "jpeg_quality", "options", "address", "port", "allowed_subnets", "pin", "recent"):
        assert f"# {key} =" in region or f"\n{key} =" in region, key
