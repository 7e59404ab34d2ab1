"""Matching presets against what a device offers, under each backend's own vocabulary."""
from __future__ import annotations

import pytest

from edge.scanning.caps import DeviceInfo, OptionInfo, pick_device, plan_preset
from edge.scanning.config import DeviceMatch, Preset


def device(sources=("Flatbed",), modes=("Gray", "Color"), resolutions=(75, 150, 300, 600),
           area=(215.9, 297.0), extra=()) -> DeviceInfo:
    opts = [OptionInfo("source", "str", tuple(sources)), OptionInfo("mode", "str", tuple(modes)),
            OptionInfo("resolution", "int", tuple(resolutions)),
            OptionInfo("tl-x", "float", (0.0, area[0], 0.0), True),
            OptionInfo("tl-y", "float", (0.0, area[1], 0.0), True),
            OptionInfo("br-x", "float", (0.0, area[0], 0.0), True),
            OptionInfo("br-y", "float", (0.0, area[1], 0.0), True), *extra]
    return DeviceInfo("x:1", "Vendor", "Model", "flatbed scanner", {o.name: o for o in opts})


def setting(plan, name):
    return dict(plan.settings)[name]


@pytest.mark.parametrize("sources, expected", [
    (("Flatbed", "ADF"), "ADF"),
    (("Flatbed", "ADF Front", "ADF Back", "ADF Duplex"), "ADF Front"),
    (("Flatbed", "Automatic Document Feeder"), "Automatic Document Feeder"),
    (("FlatBed", "Document Feeder(left aligned)"), "Document Feeder(left aligned)"),
])
def test_feeder_is_found_under_the_backends_own_name(sources, expected):
    plan, problems = plan_preset(Preset(source="feeder"), device(sources=sources))
    assert problems == [] and setting(plan, "source") == expected and plan.feeder


@pytest.mark.parametrize("modes, expected", [(("Lineart", "Gray"), "Lineart"),
                                             (("Black & White", "Grayscale", "24bit Color"), "Black & White")])
def test_lineart_is_found_under_the_backends_own_name(modes, expected):
    plan, _ = plan_preset(Preset(mode="lineart"), device(modes=modes))
    assert setting(plan, "mode") == expected


def test_grey_prefers_8_bit_over_16_bit():
    plan, _ = plan_preset(Preset(), device(modes=("Gray16", "Gray", "Color")))
    assert setting(plan, "mode") == "Gray"


def test_feeder_preset_on_a_flatbed_only_device_is_a_clear_problem():
    plan, problems = plan_preset(Preset(source="feeder"), device(sources=("Flatbed",)))
    assert plan is None and problems == ["source: the device offers no feeder (it has Flatbed)"]


def test_resolution_snaps_to_the_nearest_offered_value_with_a_note():
    plan, problems = plan_preset(Preset(resolution=200), device())
    assert problems == [] and plan.resolution == 150  # |150-200| < |300-200|
    assert any("200 dpi not offered" in n for n in plan.notes)


def test_scan_area_is_limited_to_the_device():
    plan, _ = plan_preset(Preset(), device(area=(200.0, 200.0)))
    assert (plan.width_mm, plan.height_mm) == (200.0, 200.0)
    assert setting(plan, "br-y") == 200.0


def test_unknown_backend_option_in_a_preset_is_a_problem_not_a_crash():
    plan, problems = plan_preset(Preset(options={"swdeskew": "yes"}), device())
    assert plan is None and "swdeskew" in problems[0]


def test_backend_option_value_outside_its_list_is_a_problem():
    extra = (OptionInfo("test-picture", "str", ("Grid", "Solid white")),)
    _, problems = plan_preset(Preset(options={"test-picture": "Cats"}), device(extra=extra))
    assert problems == ["options.test-picture: must be one of Grid, Solid white"]


def test_device_is_chosen_by_vendor_and_model_not_its_usb_address():
    found = [("epson2:libusb:001:007", "Epson", "GT-S55", "flatbed scanner"),
             ("hpaio:/usb/Deskjet_2700?serial=CN12AB", "HP", "Deskjet 2700", "all-in-one")]
    assert pick_device(found, DeviceMatch(vendor="hp", model="deskjet"))[0].startswith("hpaio")
    assert pick_device(found, DeviceMatch(model="GT-S55"))[0] == "epson2:libusb:001:007"
    assert pick_device(found, DeviceMatch(vendor="HP", serial="CN99")) is None
    assert pick_device(found, DeviceMatch(serial="cn12ab"))[1] == "HP"


def test_lineart_falls_back_to_grey_at_one_bit_when_there_is_no_lineart_mode():
    extra = (OptionInfo("depth", "int", (1, 8, 16)),)
    plan, problems = plan_preset(Preset(mode="lineart"), device(extra=extra))
    assert problems == [] and ("mode", "Gray") in plan.settings and ("depth", 1) in plan.settings


def test_lineart_without_any_way_to_do_it_is_a_problem():
    _, problems = plan_preset(Preset(mode="lineart"), device())
    assert problems == ["mode: the device offers no lineart mode (it has Gray, Color)"]
