"""The house page's print queue panel in a real headless Chromium: an operator releases and
cancels held jobs of a real edge agent's queue on a real cupsd and re-probes its devices."""
from __future__ import annotations

import shutil

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of

from harness.cups import CupsServer
from harness.printrig import (PERSONAL_TITLE, cups_conn, job_state, make_pdf, set_paper,
                              submit_held, wait_queue_ready)
from harness.procs import free_port, wait_for
from tests.central.conftest import PASSWORDS
from tests.central.test_browser import REPO, browser  # noqa: F401 (the browser fixture)

HELD, CANCELED, COMPLETED = 4, 7, 9  # IPP job-state values


@pytest.fixture
def cupsd(fake_printer):
    """A private cupsd whose held queue `house` prints to the fake IPP printer."""
    set_paper(fake_printer, 250)
    with CupsServer() as server:
        server.add_ipp_queue("house", fake_printer.uri, hold=True)
        wait_queue_ready(server.server, "house")
        yield server
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def house(dashboard, client, cupsd, edge_config, edge_process, tmp_path):
    """house-01: a real edge agent with its printer on `cupsd` and the SANE test scanner,
    reporting to the dashboard; returns a function that submits a held job."""
    cfg = edge_config("house-01",
                      printer={"enabled": True, "queue": "house", "server": cupsd.server,
                               "poll_interval": "1s"},
                      scanner={"enabled": True, "output_dir": str(tmp_path / "scans"),
                               "web": {"address": "127.0.0.1", "port": free_port()}})
    edge_process(cfg)
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200
             and client.get("/api/houses/house-01").json()["printer"]["state"] == "idle", 30,
             what="house-01 reporting an idle printer")
    pdf = make_pdf(tmp_path / "doc.pdf", pages=2)

    def held_jobs(count: int) -> list[int]:
        jobs = [submit_held(cupsd.server, "house", pdf) for _ in range(count)]
        wait_for(lambda: client.get("/api/houses/house-01").json()["printer"]["held"] == count,
                 20, what=f"{count} held jobs seen by the agent")
        return jobs
    return held_jobs


def log_in(browser, dashboard, user: str) -> str:
    base = f"http://127.0.0.1:{dashboard.web.port}"
    browser.get(base + "/login")
    browser.find_element(By.ID, "user").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORDS[user])
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: browser.current_url.rstrip("/") == base, 10, what="logged in")
    return base


def text(browser, element_id: str) -> str:
    found = browser.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def open_queue(browser) -> None:
    summary = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#jobs summary"), 15,
                       what="the print queue panel")
    summary[0].click()


def test_an_operator_releases_and_cancels_held_jobs_and_reprobes_the_devices(
        dashboard, house, cupsd, browser, tmp_path):
    first, second = house(2)
    browser.set_window_size(390, 1000)  # a phone
    browser.get(log_in(browser, dashboard, "operator") + "/houses/house-01")
    open_queue(browser)
    wait_for(lambda: text(browser, f"job-{first}") and text(browser, f"job-{second}"), 20,
             what="both held jobs listed")
    row = text(browser, f"job-{first}")
    assert f"Lệnh in số {first}" in row and "đang giữ, chờ bấm In" in row
    assert "chưa rõ số trang" in row and "trước" in row and "gửi từ máy Pi của nhà" in row
    assert PERSONAL_TITLE not in browser.page_source and "doc.pdf" not in browser.page_source
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 400
    shot = tmp_path / "house-jobs.png"
    browser.save_screenshot(str(shot))
    (REPO / "artifacts").mkdir(exist_ok=True)
    shutil.copy(shot, REPO / "artifacts" / "house-jobs.png")
    assert shot.stat().st_size > 10_000

    browser.find_element(By.ID, f"release-{first}").click()
    wait_for(lambda: f"Lệnh in số {first} đã được chuyển sang máy in." in
             text(browser, "jobs-status"), 20, what="the release answered")
    wait_for(lambda: job_state(cupsd.server, first) == COMPLETED, 30, what="released job printed")

    browser.find_element(By.ID, f"cancel-{second}").click()
    assert f"Huỷ hẳn lệnh in số {second}?" in text(browser, f"job-{second}")
    assert job_state(cupsd.server, second) == HELD  # nothing happens before the confirmation
    browser.find_element(By.ID, f"cancel-yes-{second}").click()
    wait_for(lambda: f"Đã huỷ lệnh in số {second}." in text(browser, "jobs-status"), 20,
             what="the cancel answered")
    assert job_state(cupsd.server, second) == CANCELED
    wait_for(lambda: "Không có lệnh in nào đang chờ." in text(browser, "jobs-list"), 20,
             what="the queue shown empty")

    page = browser.find_element(By.ID, "house-main")
    browser.find_element(By.ID, "rescan").click()
    answer = wait_for(lambda: "Nhà đã tìm lại:" in text(browser, "rescan-status")
                      and text(browser, "rescan-status"), 20, what="the re-probe answered")
    assert "Máy in: Sẵn sàng" in answer and "Máy quét: đang tìm" in answer
    # The figures are fetched again after a re-probe; the panel stays as it was, unasked.
    wait_for(lambda: staleness_of(page)(browser), 10, what="the page's figures refreshed")
    assert text(browser, "rescan-status") == answer
    assert "Không có lệnh in nào đang chờ." in text(browser, "jobs-list")
    assert "Đang hỏi nhà" not in text(browser, "jobs-info")


def test_a_job_gone_behind_the_operators_back_is_refused_in_plain_words(
        dashboard, client, house, cupsd, browser):
    (job,) = house(1)
    browser.get(log_in(browser, dashboard, "operator") + "/houses/house-01")
    open_queue(browser)
    wait_for(lambda: browser.find_elements(By.ID, f"release-{job}"), 20, what="the job listed")
    cups_conn(cupsd.server).cancelJob(job)  # someone at the house cancels it meanwhile
    wait_for(lambda: client.get("/api/houses/house-01").json()["printer"]["held"] == 0, 20,
             what="the agent seeing the job gone")
    browser.find_element(By.ID, f"release-{job}").click()
    wait_for(lambda: "Nhà không làm được: không còn lệnh in này" in text(browser, "jobs-status"),
             20, what="the refusal in words")
    wait_for(lambda: not browser.find_elements(By.ID, f"job-{job}"), 20,
             what="the stale row gone after the list is asked again")


def test_a_command_to_an_offline_house_says_so_when_no_answer_comes(dashboard, client, houses,
                                                                     browser):
    quiet = houses("house-02")
    quiet.online()
    quiet.offline("lost")  # nothing will answer commands sent to it
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-02").status == 200
             and not client.get("/api/houses/house-02").json()["online"], 15,
             what="house-02 stored as offline")
    browser.get(log_in(browser, dashboard, "operator") + "/houses/house-02?lang=en")
    wait_for(lambda: browser.find_elements(By.ID, "rescan"), 15, what="the re-probe button")
    browser.find_element(By.ID, "rescan").click()
    assert "Sent; waiting for the house to answer" in text(browser, "rescan-status")
    wait_for(lambda: "The house is offline, so no answer yet" in text(browser, "rescan-status"),
             25, what="the no-answer outcome")


def test_a_viewer_sees_the_house_page_without_the_queue_panel_or_any_button(
        dashboard, client, houses, browser):
    h = houses("house-03")
    h.online()
    h.telemetry({"print.state": "idle", "print.reasons": []})
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-03").status == 200, 15, what="house stored")
    browser.get(log_in(browser, dashboard, "viewer") + "/houses/house-03")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#ops[data-role=viewer]"), 15,
             what="the page knowing who is looking")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert not browser.find_elements(By.ID, "ops-panel")
    assert not browser.find_elements(By.TAG_NAME, "button")
