"""The [printer] and [panel] sections: defaults, the example file, clear errors."""
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from common.settings import ConfigError, load_file, load_table

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "edge.example.toml"


def test_the_example_config_loads_with_print_release_defaults():
    cfg = load_file(EdgeConfig, EXAMPLE)
    assert cfg.printer.queue == "house" and cfg.printer.hold_expiry == 7200
    assert "media-empty" in cfg.printer.block_on


def test_every_printer_key_is_documented_in_the_example():
    from dataclasses import fields
    from edge.printing.config import PrinterConfig
    text = EXAMPLE.read_text()
    region = text[text.index("## --- [printer]"):text.index("## --- end [printer] ---")]
    for f in fields(PrinterConfig):
        assert f"# {f.name} = " in region or f"\n{f.name} = " in region, f.name


@pytest.mark.parametrize("table, message", [
    ({"queue": "my queue"}, "printer.queue: 'my queue' is not a CUPS queue name"),
    ({"hold_expiry": "10s"}, "printer.hold_expiry: must be at least 1m"),
    ({"block_on": ["media-empty-error"]}, "printer.block_on: 'media-empty-error' must be a base"),
    ({"release": "newest"}, "printer.release: must be one of 'oldest', 'origin'"),
    ({"hold": "2h"}, "printer.hold: unknown key"),
])
def test_bad_printer_settings_are_named_with_their_key(table, message):
    with pytest.raises(ConfigError) as err:
        load_table(EdgeConfig, {"house": {"id": "h1"}, "printer": table})
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_two_panel_parts_on_one_gpio_are_refused():
    with pytest.raises(ConfigError) as err:
        load_table(EdgeConfig, {"house": {"id": "h1"},
                                "panel": {"print_button": 5, "help_light": 5}})
    assert err.value.problems == ["panel.print_button, help_light: share GPIO 5"]
