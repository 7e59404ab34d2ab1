"""Each house's administrative place comes from central's config, checked like any value."""
import pytest

from central.config import HouseEntry
from common.settings import ConfigError, load_table
from central.config import CentralConfig


def test_a_house_carries_its_province_district_and_commune():
    cfg = load_table(CentralConfig, {"houses": {"house-01": {
        "name": "Nhà văn hóa thôn Đông", "province": "Hưng Yên", "district": "Tiên Lữ",
        "commune": "Xã Tiên Lữ"}}})
    assert cfg.houses["house-01"].place() == {
        "province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Tiên Lữ"}


def test_a_house_without_a_place_has_empty_levels():
    assert HouseEntry(name="x").place() == {"province": "", "district": "", "commune": ""}


@pytest.mark.parametrize("bad", ["a" * 81, "line\nbreak", "\ud800", "tab\tinside"])
def test_a_place_that_is_too_long_or_not_one_line_of_text_is_refused(bad):
    with pytest.raises(ConfigError) as err:
        load_table(CentralConfig, {"houses": {"house-01": {"district": bad}}})
    assert "houses.house-01.district" in str(err.value)
