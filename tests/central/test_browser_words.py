"""A real headless Chromium, itself in another time zone (New York), reads the overview and a
house page in Vietnamese over a month of seeded demo history: the fleet summary, event
sentences, times in the house's zone and labelled so, charts with data readable on a phone."""
from __future__ import annotations

import os
import re
import shutil
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from harness.demo_history import seed_history
from harness.procs import wait_for
from tests.central.conftest import PASSWORDS
from tests.central.test_browser import FLAGS, REPO

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOUSES = ["house-01", "house-02", "house-03"]


@pytest.fixture
def browser_elsewhere(tmp_path):
    """Chromium whose own clock is New York's: the pages must still show Vietnam time."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      log_output=str(tmp_path / "chromedriver.log"),
                      env={**os.environ, "TZ": "America/New_York"})
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.fixture
def seeded_dashboard(make_central, tmp_path):
    """Central over three houses' seeded month (the demo's sample history)."""
    report = seed_history(tmp_path / "central.sqlite", HOUSES)
    return make_central(), report


def vn_minutes(text: str) -> int:
    """How far the HH:MM in `text` is from Vietnam's clock now, in minutes."""
    hh, mm = map(int, re.search(r"(\d\d):(\d\d)", text).groups())
    now = datetime.now(VN)
    return abs((now.hour * 60 + now.minute) - (hh * 60 + mm)) % (24 * 60)


def log_in(browser, base: str) -> None:
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys("viewer")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["viewer"])
    browser.find_element(By.ID, "login").click()


def test_staff_read_the_fleet_summary_event_sentences_and_charts_in_vietnam_time(
        seeded_dashboard, client_for, houses, browser_elsewhere):
    app, _ = seeded_dashboard
    client = client_for(app)
    printed_at = int(time.time() * 1000) - 90_000
    one, two, three = (houses(h) for h in HOUSES)
    for h in (one, two, three):
        h.online()
    one.telemetry({"print.state": "idle", "print.reasons": [], "wifi.clients": 4})
    one.event("print.job_completed", {"job": 41, "pages": 3}, ts=printed_at)
    two.telemetry({"print.state": "stopped", "print.reasons": ["media-empty-error"]})
    two.event("help.requested", {"request": 1})
    three.offline("stopped")
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses").json()["summary"]["help_waiting"] == 1
             and client.get("/api/houses").json()["summary"]["printers_blocked"] == 1
             and client.get("/api/houses").json()["summary"]["online"] == 2, 15,
             what="live figures stored")
    summary = client.get("/api/houses").json()["summary"]
    assert summary["houses"] == 3 and summary["pages_today"] >= 3
    def english():
        return client.get("/api/houses/house-01?lang=en").json()["events"]
    wait_for(lambda: any(e["ts"] == printed_at for e in english()), 10, what="the live event")
    assert {"type": "print.job_completed", "text": "Printed 3 pages (print job 41)"}.items() <= \
        next(e for e in english() if e["ts"] == printed_at).items()

    browser = browser_elsewhere
    assert browser.execute_script(
        "return Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
    base = f"http://127.0.0.1:{app.web.port}"
    log_in(browser, base)
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#summary:not([hidden])"), 15,
             what="fleet summary")
    assert "Dữ liệu mẫu" in browser.find_element(By.ID, "demo").text

    def tile(name: str) -> str:
        return browser.find_element(By.ID, "summary-" + name).text
    assert "2 trên 3" in tile("online")
    assert "1" in tile("blocked") and "Máy in cần xử lý" in tile("blocked")
    assert "1" in tile("help") and "trợ giúp" in tile("help")
    wait_for(lambda: str(client.get("/api/houses").json()["summary"]["pages_today"])
             in tile("pages"), 10, what="pages today on the page")
    stamp = browser.find_element(By.ID, "stamp").text
    assert "giờ Việt Nam (UTC+7)" in stamp and vn_minutes(stamp) <= 1, stamp
    shot = REPO / "artifacts"
    shot.mkdir(exist_ok=True)
    browser.find_element(By.ID, "summary").screenshot(str(shot / "fleet-summary.png"))
    assert (shot / "fleet-summary.png").stat().st_size > 2_000

    browser.set_window_size(360, 800)  # a small phone
    wait_for(lambda: browser.execute_script("return document.documentElement.scrollWidth")
             <= 360, 5, what="the overview fitting a 360 px phone")
    browser.save_screenshot(str(shot / "overview-phone.png"))
    browser.get(base + "/houses/house-01")
    events = browser.find_element(By.CSS_SELECTOR, "ul.events").text
    when = datetime.fromtimestamp(printed_at / 1000, VN).strftime("%d/%m %H:%M")
    assert f"{when} Đã in xong 3 trang (lệnh in số 41)" in events
    assert not re.search(r"\b(print|scan|copy|help|wifi)\.[a-z_]+", events)  # no type names
    assert browser.find_element(By.ID, "zone").text == "Thời gian theo giờ Việt Nam (UTC+7)"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360

    chart = browser.find_elements(By.CSS_SELECTOR, "svg.chart")[4]  # pages per day, 30 days
    heights = [float(r.get_attribute("height")) for r in chart.find_elements(By.TAG_NAME, "rect")]
    assert len(heights) == 31 and sum(1 for h in heights if h > 0) >= 20
    labels = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.x")]
    days = [(datetime.now(VN) - timedelta(days=30 - 7 * i)) for i in range(5)]
    assert labels[:2] == [["T2", "T3", "T4", "T5", "T6", "T7", "CN"][days[0].weekday()],
                          days[0].strftime("%d/%m")]
    caption = browser.find_elements(By.TAG_NAME, "figcaption")[4].text
    assert re.fullmatch(r"Trang in — tổng \d+ trang", caption), caption
    text_px = browser.execute_script(
        "return arguments[0].querySelector('text.x').getBoundingClientRect().height", chart)
    assert text_px >= 10  # readable on a 360 px screen
    browser.execute_script("arguments[0].scrollIntoView()", chart)
    browser.save_screenshot(str(shot / "house-page-phone.png"))
