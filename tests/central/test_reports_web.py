"""The monthly report from the dashboard: a viewer downloads it as XLSX or PDF, fed by houses
through the real broker and collector; a bad month is refused with a clear answer."""
from __future__ import annotations

import io
import subprocess
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from harness.procs import wait_for

PLACES = {"house-01": {"name": "Nhà văn hóa thôn Đông", "province": "Hưng Yên",
                       "district": "Tiên Lữ", "commune": "Xã Thiện Phiến"},
          "house-02": {"name": "Nhà văn hóa khu 3", "province": "Bắc Ninh",
                       "district": "Từ Sơn", "commune": "Phường Đình Bảng"}}
PAGES = {"house-01": [3, 12, 5], "house-02": [20, 1]}


def this_month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')):%Y-%m}"


@pytest.fixture
def fed(make_central, houses, client_for):
    """Central with two placed houses that printed PAGES, logged in as a viewer."""
    app = make_central(houses=PLACES)
    for house, pages in PAGES.items():
        h = houses(house)
        h.online()
        for job, n in enumerate(pages, start=1):
            h.event("print.job_completed", {"job": job, "pages": n})
    client = client_for(app)
    assert client.login("viewer").status == 303
    wait_for(lambda: sum(c["today"]["pages"] for c in client.get("/api/houses").json()["houses"])
             == sum(map(sum, PAGES.values())), 15, what="the pages stored")
    return client


def test_a_viewer_downloads_the_month_as_xlsx_with_the_pages_sent(fed):
    reply = fed.get(f"/api/report/month?month={this_month()}&format=xlsx")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert reply.headers["Content-Disposition"] == \
        f'attachment; filename="culturehouse-{this_month()}.xlsx"'
    rows = list(openpyxl.load_workbook(io.BytesIO(reply.body))["Nhà văn hóa"].values)
    pages = {row[0]: row[5] for row in rows[1:-1]}
    assert pages == {house: sum(p) for house, p in PAGES.items()}
    assert rows[-1][5] == sum(map(sum, PAGES.values()))
    provinces = {row[0]: row[2] for row in
                 list(openpyxl.load_workbook(io.BytesIO(reply.body))["Tỉnh"].values)[1:-1]}
    assert provinces == {"Bắc Ninh": 21, "Hưng Yên": 20}


def test_a_viewer_downloads_the_month_as_a_pdf_in_the_pages_language(fed, tmp_path):
    t0 = time.monotonic()
    reply = fed.get(f"/api/report/month?month={this_month()}&format=pdf&lang=en")
    assert reply.status == 200 and time.monotonic() - t0 < 15
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF-")
    (tmp_path / "r.pdf").write_bytes(reply.body)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Monthly report" in text and "Đình Bảng" in text


@pytest.mark.parametrize("query, words", [
    ("month=2026-13&format=pdf", "month must look like 2026-11"),
    ("month=2999-01&format=pdf", "has not started yet"),
    ("month=2026-11&format=docx", "format must be xlsx or pdf"),
    ("month=" + "9" * 5000 + "&format=pdf", "month must look like 2026-11"),
])
def test_a_bad_month_or_format_is_refused_with_a_reason(client, query, words):
    assert client.login("viewer").status == 303
    reply = client.get("/api/report/month?" + query)
    assert reply.status == 400 and words in reply.json()["error"]


def test_the_report_needs_a_login(client):
    reply = client.get(f"/api/report/month?month={this_month()}&format=pdf")
    assert reply.status in (303, 401) and not reply.body.startswith(b"%PDF")


def test_the_overview_offers_the_monthly_report_form(client):
    assert client.login("viewer").status == 303
    page = client.get("/").body.decode()
    assert 'action="/api/report/month"' in page and 'name="month"' in page
    assert '<option value="xlsx">' in page and "Báo cáo tháng" in page


def test_reports_asked_at_once_all_arrive_whole(fed):
    from concurrent.futures import ThreadPoolExecutor
    paths = [f"/api/report/month?month={this_month()}&format={fmt}"
             for fmt in ("pdf", "xlsx", "pdf", "xlsx")]
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(fed.get, paths))
    assert [r.status for r in replies] == [200] * 4
    assert [r.body[:4] for r in replies] == [b"%PDF", b"PK\x03\x04"] * 2
