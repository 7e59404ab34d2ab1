"""The scan page's words come from the shared catalogue, in Vietnamese or English."""
from __future__ import annotations

from tests.scanning.test_web import fetch


def test_the_pin_form_and_its_refusal_speak_the_language_asked_for(agent_factory):
    agent = agent_factory({"web": {"pin": "2468"}}).start()
    base = f"http://127.0.0.1:{agent.web_port}"
    vi, en = fetch(f"{base}/")[1].decode(), fetch(f"{base}/?lang=en")[1].decode()
    assert "Nhập mã PIN để xem bản quét" in vi and ">English</a>" in vi
    assert "Enter the PIN to see the scans" in en and ">Tiếng Việt</a>" in en
    assert "Mã PIN không đúng." in fetch(f"{base}/login", {"pin": "0"})[1].decode()
    assert "Wrong PIN." in fetch(f"{base}/login?lang=en", {"pin": "0"})[1].decode()


def test_the_empty_list_and_the_retention_note_are_translated(agent):
    base = f"http://127.0.0.1:{agent.web_port}"
    vi, en = fetch(f"{base}/")[1].decode(), fetch(f"{base}/?lang=en")[1].decode()
    assert "Chưa có bản quét nào." in vi and "tự động bị xóa sau 2 giờ" in vi
    assert "No scans yet." in en and "deleted automatically after 2 hours" in en


def test_a_refused_client_is_told_why_in_the_language_asked_for(agent_factory):
    agent = agent_factory({"web": {"allowed_subnets": ["192.168.50.0/24"]}}).start()
    base = f"http://127.0.0.1:{agent.web_port}"
    assert "chỉ dùng trong mạng của nhà văn hóa" in fetch(f"{base}/")[1].decode()
    assert "only available on the cultural house network" in \
        fetch(f"{base}/?lang=en")[1].decode()
