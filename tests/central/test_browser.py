"""A real headless Chromium (Debian's, via chromedriver) on the dashboard fed by ten houses."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from harness.procs import wait_for

REPO = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--window-size=1280,1600"]


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.fixture
def ten_houses(houses):
    made = {}
    for i in range(1, 11):
        h = houses(f"house-{i:02d}")
        h.online()
        h.telemetry({"print.state": "idle", "print.reasons": [], "scan.state": "ready",
                     "wifi.clients": i, "sys.uptime_s": 3600})
        made[h.house] = h
    made["house-03"].telemetry({"print.state": "stopped", "print.reasons": ["media-empty-error"],
                                "scan.state": "ready", "wifi.clients": 3})
    made["house-07"].offline("stopped")
    made["house-09"].offline("lost")
    made["house-05"].event("help.requested", {"request": 1})
    return made


def text_of(driver, house: str) -> str:
    return driver.find_element(By.ID, f"house-{house}").text


def test_staff_see_every_house_switch_language_and_acknowledge_help(dashboard, client,
                                                                     ten_houses, browser,
                                                                     tmp_path):
    wait_for(lambda: client.login("operator").status == 303, 10, what="login")
    wait_for(lambda: len(client.get("/api/houses").json()["houses"]) == 10
             and any(h["help"] for h in client.get("/api/houses").json()["houses"]), 15,
             what="ten houses stored")
    base = f"http://127.0.0.1:{dashboard.web.port}"
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys("operator")
    browser.find_element(By.ID, "password").send_keys("operator-pass-1")
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "section.card")) == 10, 20,
             what="ten cards")
    wait_for(lambda: "Hết giấy" in text_of(browser, "house-03"), 10, what="printer reason")
    assert "Đang hoạt động" in text_of(browser, "house-01")
    assert "Mất kết nối (dịch vụ đã dừng)" in text_of(browser, "house-07")
    assert "Mất kết nối (mất điện hoặc mất mạng)" in text_of(browser, "house-09")
    assert "Cần trợ giúp" in text_of(browser, "house-05")
    assert "off" in browser.find_element(By.ID, "house-house-07").get_attribute("class")

    browser.find_element(By.ID, "lang").click()
    wait_for(lambda: "Out of paper" in text_of(browser, "house-03"), 10, what="English")
    assert "Offline (service stopped)" in text_of(browser, "house-07")
    assert browser.find_element(By.ID, "lang").text == "Tiếng Việt"

    browser.find_element(By.ID, "help-ack-house-05").click()
    topic, _ = ten_houses["house-05"].commands.get(timeout=15)
    assert topic.endswith("/house-05/cmd/help_ack")
    wait_for(lambda: not browser.find_elements(By.ID, "help-house-05"), 15, what="help cleared")

    shot = tmp_path / "dashboard.png"
    browser.save_screenshot(str(shot))
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / "dashboard.png")
    assert shot.stat().st_size > 10_000


def test_house_page_shows_svg_charts_on_a_phone_screen(dashboard, client, houses, browser):
    house = houses("house-01")
    house.online()
    house.event("print.job_completed", {"job": 4, "pages": 4})
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200
             and client.get("/api/houses/house-01").json()["today"]["pages"] == 4, 15,
             what="figures stored")
    browser.set_window_size(390, 844)
    base = f"http://127.0.0.1:{dashboard.web.port}"
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys("viewer")
    browser.find_element(By.ID, "password").send_keys("viewer-pass-1")
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: browser.find_elements(By.ID, "house-house-01"), 15, what="card")
    browser.get(base + "/houses/house-01")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 8
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling on a phone
    assert "Đã in xong 4 trang" in browser.find_element(By.CSS_SELECTOR, "ul.events").text
