"""A real headless Chromium downloads the monthly report through the overview page's form."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness.procs import wait_for
from tests.central.test_browser import FLAGS
from tests.central.test_reports_web import PAGES, PLACES, this_month


@pytest.fixture
def downloads(tmp_path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def browser(tmp_path, downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def downloaded(folder: Path, name: str) -> Path:
    path = folder / name
    wait_for(lambda: path.is_file() and not list(folder.glob("*.crdownload")), 30,
             what=f"{name} downloaded")
    return path


def test_staff_download_the_month_as_xlsx_and_pdf_from_the_overview(make_central, houses,
                                                                     client_for, browser,
                                                                     downloads, tmp_path):
    app = make_central(houses=PLACES)
    for house, pages in PAGES.items():
        h = houses(house)
        h.online()
        for job, n in enumerate(pages, start=1):
            h.event("print.job_completed", {"job": job, "pages": n})
    client = client_for(app)
    client.login("viewer")
    wait_for(lambda: sum(c["today"]["pages"] for c in client.get("/api/houses").json()["houses"])
             == sum(map(sum, PAGES.values())), 15, what="the pages stored")
    base = f"http://127.0.0.1:{app.web.port}"
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys("viewer")
    browser.find_element(By.ID, "password").send_keys("viewer-pass-1")
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "section.card"), 20, what="cards")
    form = browser.find_element(By.ID, "report")
    assert "Báo cáo tháng" in form.text and "Tải về" in form.text

    month = form.find_element(By.NAME, "month")
    browser.execute_script("arguments[0].value = arguments[1]", month, this_month())
    Select(form.find_element(By.NAME, "format")).select_by_value("xlsx")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    xlsx = downloaded(downloads, f"culturehouse-{this_month()}.xlsx")
    total = list(openpyxl.load_workbook(xlsx)["Nhà văn hóa"].values)[-1]
    assert total[0] == "Tổng cộng" and total[5] == sum(map(sum, PAGES.values()))

    browser.get(base + "/")  # the form again, left empty: this month as a PDF
    wait_for(lambda: browser.find_elements(By.ID, "report"), 20, what="the form")
    browser.find_element(By.CSS_SELECTOR, "#report button[type=submit]").click()
    pdf = downloaded(downloads, f"culturehouse-{this_month()}.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Báo cáo tháng" in text and "Hưng Yên" in text
