"""The dashboard's pages in Vietnamese (the default) and English, from the shared catalogue."""
from __future__ import annotations

import re
from importlib import resources

from central import i18n
from harness.procs import wait_for


def test_login_page_is_vietnamese_by_default_and_english_on_request(client):
    vi, en = client.get("/login").body.decode(), client.get("/login?lang=en").body.decode()
    assert 'lang="vi"' in vi and "Đăng nhập" in vi and "Mật khẩu" in vi and "English" in vi
    assert 'lang="en"' in en and "Log in" in en and "Password" in en and "Tiếng Việt" in en


def test_a_wrong_password_is_told_in_the_language_of_the_form(client):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"user=viewer&password=guess"
    vi = client.request("POST", "/login?lang=vi", body, form).body.decode()
    en = client.request("POST", "/login?lang=en", body, form).body.decode()
    assert "Sai tên đăng nhập hoặc mật khẩu." in vi and "Wrong user name or password." in en


def test_house_page_names_states_and_printer_reasons_in_either_language(client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"print.state": "stopped", "print.reasons": ["media-empty-error"],
                     "scan.state": "ready"})
    client.login("viewer")
    wait_for(lambda: "Hết giấy" in client.get("/houses/house-01?lang=vi").body.decode(), 15,
             what="telemetry on the house page")
    vi = client.get("/houses/house-01?lang=vi").body.decode()
    en = client.get("/houses/house-01?lang=en").body.decode()
    assert "Máy in" in vi and "Đã dừng — Hết giấy" in vi and "Trang in" in vi
    assert "Printer" in en and "Stopped — Out of paper" in en and "Pages printed" in en


def test_the_overview_script_gets_both_languages_with_the_same_keys(client):
    client.login("viewer")
    words = client.get("/i18n.json").json()
    assert set(words) == {"vi", "en"} and set(words["vi"]) == set(words["en"])
    assert words["vi"]["reason.media-empty"] == "Hết giấy"
    assert words["en"]["duration.min"] == "{n} min"
    assert not any(key.startswith("check.") for key in words["vi"])  # only what the page uses


def test_every_word_the_page_templates_ask_for_is_in_the_catalogue():
    folder = resources.files("central").joinpath("templates")
    keys = {key for page in folder.iterdir() if page.name.endswith(".html")
            for key in re.findall(r't\("([^"]+)"\)', page.read_text("utf-8"))}
    assert "dashboard.login" in keys
    assert [key for key in sorted(keys) if not i18n.known(key)] == []
