"""The scan page's words come from the shared catalogue, in Vietnamese or English."""
from __future__ import annotations

from tests.scanning.test_web import HOUSE_PC, fetch


def test_the_pickup_form_speaks_the_language_asked_for(agent):
    vi = fetch(agent.web_port, "/")[1].decode()
    en = fetch(agent.web_port, "/?lang=en")[1].decode()
    assert "Nhập mã 6 chữ số của bản quét" in vi and ">English</a>" in vi
    assert "Enter your scan&#39;s 6-digit code" in en and ">Tiếng Việt</a>" in en
    assert "Mã không đúng hoặc đã được dùng." in \
        fetch(agent.web_port, "/pickup", {"code": "000000"})[1].decode()
    assert "That code is wrong or has been used." in \
        fetch(agent.web_port, "/pickup?lang=en", {"code": "000000"})[1].decode()


def test_the_pin_form_and_its_refusal_speak_the_language_asked_for(agent_factory):
    agent = agent_factory({"web": {"pin": "2468"}}).start()
    vi = fetch(agent.web_port, "/login")[1].decode()
    en = fetch(agent.web_port, "/login?lang=en")[1].decode()
    assert "Nhân viên: nhập mã PIN để xem các bản quét" in vi
    assert "Staff: enter the PIN to see the scans" in en
    assert "Mã PIN không đúng." in fetch(agent.web_port, "/login", {"pin": "0"})[1].decode()
    assert "Wrong PIN." in fetch(agent.web_port, "/login?lang=en", {"pin": "0"})[1].decode()


def test_the_empty_list_and_the_retention_note_are_translated(agent_factory):
    agent = agent_factory({"web": {"staff_addresses": [HOUSE_PC]}}).start()
    vi = fetch(agent.web_port, "/", source=HOUSE_PC)[1].decode()
    en = fetch(agent.web_port, "/?lang=en", source=HOUSE_PC)[1].decode()
    assert "Chưa có bản quét nào." in vi and "tự động bị xóa sau 2 giờ" in vi
    assert "No scans yet." in en and "deleted automatically after 2 hours" in en


def test_a_refused_client_is_told_why_in_the_language_asked_for(agent_factory):
    agent = agent_factory({"web": {"allowed_subnets": ["192.168.50.0/24"]}}).start()
    assert "chỉ dùng trong mạng của nhà văn hóa" in fetch(agent.web_port, "/")[1].decode()
    assert "only available on the cultural house network" in \
        fetch(agent.web_port, "/?lang=en")[1].decode()


def test_the_list_is_refused_to_others_in_their_language(agent):
    assert "Chỉ máy tính của nhà văn hóa" in \
        fetch(agent.web_port, "/files/scan-20260101-101010.pdf")[1].decode()
