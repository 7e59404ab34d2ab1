"""Houses by administrative place: /api/houses carries each house's place, filters by
province, district and commune (checked against the config), and totals per region; the
overview page offers the filter and shows the totals."""
from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from central import regions
from harness.procs import wait_for
from tests.central.test_browser import browser  # noqa: F401  (the real Chromium fixture)

TIEN_LU = {"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Tiên Lữ"}
THIEN_PHIEN = {"province": "Hưng Yên", "district": "Tiên Lữ", "commune": "Xã Thiện Phiến"}
BA_VI = {"province": "Hà Nội", "district": "Ba Vì", "commune": "Xã Tản Lĩnh"}
PLACES = {"house-01": TIEN_LU, "house-02": THIEN_PHIEN, "house-03": BA_VI, "house-04": {}}
TWO_LEVELS = {"province": "Hà Nội", "district": "", "commune": "Xã Minh Châu"}  # since 2025


def card(house: str, online=True, pages=0, help_=0) -> dict:
    return {"house": house, "online": online, "help": [{"seq": 1}] * help_,
            "today": {"pages": pages, "print_jobs": 0, "scans": 1, "copies": 0, "users": 2},
            "place": regions.place_of(PLACES, house)}


# ----- pure ------------------------------------------------------------------------------

def test_a_filter_names_only_places_some_configured_house_is_in():
    assert regions.place_filter({"province": "Hưng Yên", "district": None}, PLACES) == {
        "province": "Hưng Yên"}
    assert regions.place_filter({}, PLACES) == {}
    with pytest.raises(regions.UnknownPlace, match="commune"):
        regions.place_filter({"commune": "Xã Không Có"}, PLACES)


def test_a_house_matches_every_level_the_filter_names():
    chosen = {"province": "Hưng Yên", "district": "Tiên Lữ"}
    assert [h for h in PLACES if regions.matches(regions.place_of(PLACES, h), chosen)] == [
        "house-01", "house-02"]


def test_totals_add_up_per_province_district_and_commune():
    got = regions.totals([card("house-01", pages=5, help_=1), card("house-02", False, 7),
                          card("house-03", pages=1), card("house-04")])
    by = {(r["level"], r[r["level"]]): r for r in got}
    hung_yen = by[("province", "Hưng Yên")]
    assert (hung_yen["houses"], hung_yen["online"], hung_yen["help"]) == (2, 1, 1)
    assert hung_yen["today"]["pages"] == 12 and hung_yen["today"]["users"] == 4
    assert by[("district", "Tiên Lữ")]["today"]["pages"] == 12
    assert by[("commune", "Xã Thiện Phiến")]["today"]["pages"] == 7
    assert by[("province", "")]["houses"] == 1  # house-04: not placed
    assert [r["level"] for r in got[1:4]] == ["province", "district", "commune"]  # a tree


def test_a_place_without_a_district_has_its_communes_under_the_province():
    got = regions.totals([dict(card("house-05"), place=TWO_LEVELS), card("house-04")])
    assert [(r["level"], r[r["level"]]) for r in got] == [
        ("province", ""), ("province", "Hà Nội"), ("commune", "Xã Minh Châu")]


def test_the_filter_offers_each_configured_place_once():
    assert regions.known_places({**PLACES, "house-05": TIEN_LU}) == [
        dict.fromkeys(regions.LEVELS, ""), BA_VI, THIEN_PHIEN, TIEN_LU]


# ----- through central ---------------------------------------------------------------------

@pytest.fixture
def placed(make_central, client_for, houses):
    app = make_central(houses={"house-01": {"name": "Đông", **TIEN_LU},
                               "house-02": {"name": "Tây", **THIEN_PHIEN},
                               "house-03": {"name": "Bắc", **BA_VI}})
    for house, pages in (("house-01", 3), ("house-02", 4), ("house-03", 5)):
        h = houses(house)
        h.online()
        h.event("print.job_completed", {"job": 1, "pages": pages})
    client = client_for(app)
    client.login("viewer")
    wait_for(lambda: sum(c["today"]["pages"] for c in client.get("/api/houses").json()["houses"])
             == 12, 15, what="figures stored")
    return app, client


def test_every_house_card_carries_its_configured_place(placed):
    _, client = placed
    cards = {c["house"]: c for c in client.get("/api/houses").json()["houses"]}
    assert cards["house-03"]["place"] == BA_VI
    assert client.get("/api/houses/house-01").json()["place"] == TIEN_LU


def test_the_house_list_filters_by_place_and_totals_what_it_shows(placed):
    _, client = placed
    answer = client.get("/api/houses?province=H%C6%B0ng+Y%C3%AAn").json()
    assert [c["house"] for c in answer["houses"]] == ["house-01", "house-02"]
    assert answer["filter"] == {"province": "Hưng Yên"}
    province = next(r for r in answer["regions"] if r["level"] == "province")
    assert province["today"]["pages"] == 7 and province["houses"] == 2
    assert len(answer["places"]) == 3  # the filter still offers every place
    one = client.get("/api/houses?district=Ti%C3%AAn+L%E1%BB%AF&commune=X%C3%A3+Ti%C3%AAn+L%E1%BB%AF")
    assert [c["house"] for c in one.json()["houses"]] == ["house-01"]


def test_an_unknown_place_in_the_filter_gets_a_400_that_says_which(placed):
    _, client = placed
    reply = client.get("/api/houses?district=Nowhere")
    assert reply.status == 400 and "district" in reply.json()["error"]


def settled(read):
    """What `read` sees, or None while the page is re-drawing what it reads (the element
    it found was replaced meanwhile): for wait_for."""
    try:
        return read()
    except StaleElementReferenceException:
        return None


def test_the_overview_filters_by_commune_and_shows_region_totals(placed, browser):  # noqa: F811
    app, _ = placed
    base = f"http://127.0.0.1:{app.web.port}"
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys("viewer")
    browser.find_element(By.ID, "password").send_keys("viewer-pass-1")
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "section.card")) == 3, 20,
             what="three cards")
    totals = wait_for(lambda: settled(lambda: browser.find_element(By.ID, "regions").text), 10,
                      what="totals")
    assert "Tổng theo vùng hôm nay" in totals and "Hưng Yên" in totals and "Xã Tản Lĩnh" in totals
    Select(browser.find_element(By.ID, "place-province")).select_by_visible_text("Hà Nội")
    browser.find_element(By.CSS_SELECTOR, "#places button").click()
    wait_for(lambda: settled(lambda: [e.get_attribute("id") for e in browser.find_elements(
        By.CSS_SELECTOR, "section.card")]) == ["house-house-03"], 20,
             what="only the house in Hà Nội")
    assert "Hưng Yên" not in browser.find_element(By.ID, "regions").text
