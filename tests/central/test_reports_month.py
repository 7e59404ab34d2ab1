"""The monthly report over a real store: figures per house and place equal the stored events;
the XLSX reads back with those totals; the PDF's text is Vietnamese and its pages rasterise."""
from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

import protocol
from central import report_month, rollups
from central.config import HouseEntry
from central.queries import BadRequest
from central.report_month import FIELDS, Line, parse_month
from central.report_pdf import number, write_pdf
from central.report_xlsx import write_xlsx
from central.store import Received, Store

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOV = int(datetime(2026, 11, 1, tzinfo=TZ).timestamp() * 1000)  # local midnight
DEC = int(datetime(2026, 12, 1, tzinfo=TZ).timestamp() * 1000)
NOW = DEC + DAY
KNOWN = {
    "house-01": HouseEntry("Nhà văn hóa thôn Đông", "Xã Thiện Phiến", "Tiên Lữ", "Hưng Yên"),
    "house-02": HouseEntry("Nhà văn hóa thôn Tây", "Xã Hải Triều", "Tiên Lữ", "Hưng Yên"),
    "house-03": HouseEntry("Nhà văn hóa xóm Chùa", "Xã Toàn Thắng", "Kim Động", "Hưng Yên"),
    "house-04": HouseEntry("Nhà văn hóa khu phố 3", "Phường Đình Bảng", "Từ Sơn", "Bắc Ninh"),
}
HOUSES = [*KNOWN, "house-05"]  # house-05 sent data but is not in the config: not placed
# (house, offline at, back at): one inside the month, one that began in October
OUTAGES = [("house-02", NOV + 9 * DAY + 10 * HOUR, NOV + 9 * DAY + 13 * HOUR),
           ("house-04", NOV - 2 * HOUR, NOV + 2 * HOUR)]
# (house, pressed at, answered by staff after ms, or None: ended at the house unanswered)
HELP = [("house-01", NOV + 2 * DAY + 9 * HOUR, 2 * MINUTE),
        ("house-01", NOV + 5 * DAY + 9 * HOUR, 10 * MINUTE),
        ("house-03", NOV + 6 * DAY + 9 * HOUR, 5 * MINUTE),
        ("house-03", NOV + 7 * DAY + 9 * HOUR, None)]


class Feed:
    """Writes events of several houses through the store's write API, each its own seqs."""

    def __init__(self, store: Store):
        self.store, self.seq = store, defaultdict(int)

    def event(self, house: str, ts: int, type_: str, data: dict) -> None:
        self.seq[house] += 1
        self.store.write_batch([Received(protocol.Event(house, "boot1", self.seq[house], ts,
                                                        type_, data), ts)])

    def batch(self, items: list[tuple[str, int, str, dict]]) -> None:
        out = []
        for house, ts, type_, data in items:
            self.seq[house] += 1
            out.append(Received(protocol.Event(house, "boot1", self.seq[house], ts, type_, data),
                                ts))
        self.store.write_batch(out)

    def telemetry(self, house: str, ts: int) -> None:
        self.seq[house] += 1
        self.store.write_batch([Received(protocol.Telemetry(house, "boot1", self.seq[house], ts,
                                                            {"wifi.clients": 2}), ts)])

    def status(self, house: str, online: bool, at: int) -> None:
        self.store.write_batch([Received(protocol.Status(house, online, "boot1", at,
                                                         reason="" if online else "lost"), at)])


def fill(path: Path) -> Path:
    """A month of varied use at five houses, and a little either side of it."""
    store = Store(path)
    rollups.remember_timezone(store.db, "Asia/Ho_Chi_Minh")
    feed, rng = Feed(store), random.Random(14)
    items = []
    for house in HOUSES:
        for day in range(30):
            at = NOV + day * DAY + 8 * HOUR
            for j in range(rng.randint(0, 4)):
                items.append((house, at + j * MINUTE, "print.job_completed",
                              {"job": j + 1, "pages": rng.randint(1, 40)}))
            for j in range(rng.randint(0, 3)):
                items.append((house, at + HOUR + j * MINUTE, "scan.completed",
                              {"purpose": "scan", "preset": "doc", "pages": rng.randint(1, 5),
                               "bytes": 1000, "seconds": 3}))
            for j in range(rng.randint(0, 2)):
                items.append((house, at + 2 * HOUR + j * MINUTE, "copy.completed",
                              {"pages": rng.randint(1, 3), "copy_id": ""}))
            wday = (date(2026, 11, 1) + timedelta(days=day)).isoformat()
            items.append((house, at + 14 * HOUR, "wifi.daily",
                          {"day": wday, "tz": "Asia/Ho_Chi_Minh", "dwell_p50_s": 600,
                           "unique_devices": rng.randint(0, 30), "sessions": rng.randint(0, 50)}))
        # Either side of the month in local time: counted in October and December.
        items.append((house, NOV - 30 * MINUTE, "print.job_completed", {"job": 99, "pages": 7}))
        items.append((house, DEC + 10 * MINUTE, "print.job_completed", {"job": 98, "pages": 9}))
    feed.batch(items)
    for minute in range(90):  # an hour and a half of telemetry at house-01 on 3 November
        feed.telemetry("house-01", NOV + 2 * DAY + 8 * HOUR + minute * MINUTE)
    for house, down, up in OUTAGES:
        feed.status(house, True, down - DAY)
        feed.status(house, False, down)
        feed.status(house, True, up)
    for house, pressed, after in HELP:
        feed.event(house, pressed, "help.requested", {"request": 1})
        if after is None:
            feed.event(house, pressed + 3 * MINUTE, "help.closed",
                       {"request": 1, "reason": "timeout", "acknowledged": False, "open_s": 180})
        else:
            store.ack_help(house, "lan", pressed + after)
    store.close()
    return path


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return fill(tmp_path_factory.mktemp("month") / "central.sqlite")


@pytest.fixture(scope="module")
def report(db_path) -> report_month.MonthReport:
    store = Store(db_path)
    try:
        return report_month.build(store.reader(), date(2026, 11, 1), KNOWN, NOW)
    finally:
        store.close()


def stored(db_path: Path, sql: str, *args) -> dict[str, float]:
    """Per house: what the stored November messages add up to."""
    store = Store(db_path)
    try:
        rows = store.reader().execute(sql + " AND ts >= ? AND ts < ? GROUP BY house",
                                      (*args, NOV, DEC)).fetchall()
    finally:
        store.close()
    return {house: value for house, value in rows}


def expected(db_path: Path) -> dict[str, dict[str, float]]:
    """Each summed figure per house, straight from the stored events of the month."""
    def events(type_, what="count(*)"):
        return stored(db_path, f"SELECT house, {what} FROM messages WHERE type = ?", type_)
    pages = "sum(json_extract(body, '$.pages'))"
    columns = {
        "pages_printed": events("print.job_completed", pages),
        "print_jobs": events("print.job_completed"),
        "scans": events("scan.completed"), "scanned_pages": events("scan.completed", pages),
        "copies": events("copy.completed"),
        "wifi_users": events("wifi.daily", "sum(json_extract(body, '$.unique_devices'))"),
        "wifi_sessions": events("wifi.daily", "sum(json_extract(body, '$.sessions'))"),
        "help_requests": events("help.requested"),
        "hours_online": {h: m / 60 for h, m in stored(
            db_path, "SELECT house, count(DISTINCT ts / 60000) FROM messages WHERE "
            "kind = 'telemetry'").items()},
    }
    return {h: {name: values.get(h, 0) for name, values in columns.items()} for h in HOUSES}


def test_each_houses_month_equals_its_stored_events(db_path, report):
    want = expected(db_path)
    got = {line.house: line.figures for line in report.houses}
    assert sorted(got) == HOUSES
    for house in HOUSES:
        assert {name: got[house][name] for name in want[house]} == want[house], house
    assert want["house-01"]["pages_printed"] > 0 and want["house-01"]["hours_online"] == 1.5


def test_events_just_outside_the_local_month_are_not_counted(db_path, report):
    in_month = stored(db_path, "SELECT house, sum(json_extract(body, '$.pages')) FROM messages "
                               "WHERE type = 'print.job_completed'")
    store = Store(db_path)
    (everything,) = store.reader().execute(
        "SELECT sum(json_extract(body, '$.pages')) FROM messages "
        "WHERE type = 'print.job_completed'").fetchone()
    store.close()
    assert report.total.figures["pages_printed"] == sum(in_month.values()) \
        == everything - len(HOUSES) * (7 + 9)


def test_places_add_up_their_houses_at_every_level(report):
    for level in ("province", "district", "commune"):
        lines = report.regions[level]
        assert sum(line.houses for line in lines) == len(HOUSES)
        for name in FIELDS:
            if name != "help_answer_min":
                assert round(sum(line.figures[name] for line in lines), 2) == \
                    report.total.figures[name], (level, name)
    provinces = {line.name: line for line in report.regions["province"]}
    assert sorted(provinces) == ["", "Bắc Ninh", "Hưng Yên"]
    assert provinces["Hưng Yên"].houses == 3 and provinces[""].houses == 1
    hung_yen = [h for h in report.houses if h.place["province"] == "Hưng Yên"]
    assert provinces["Hưng Yên"].figures["pages_printed"] == sum(
        h.figures["pages_printed"] for h in hung_yen)
    districts = [(line.place["province"], line.name) for line in report.regions["district"]]
    assert districts == [("Bắc Ninh", "Từ Sơn"), ("Hưng Yên", "Kim Động"),
                         ("Hưng Yên", "Tiên Lữ"), ("", "")]  # unplaced last


def test_help_answer_time_is_the_median_of_staff_answers_only(report):
    by_house = {line.house: line.figures for line in report.houses}
    answered = [after for _, _, after in HELP if after is not None]
    assert report.total.figures["help_requests"] == len(HELP)
    assert report.total.figures["help_answered"] == len(answered)
    assert report.total.figures["help_answer_min"] == round(median(answered) / MINUTE, 1)
    assert (by_house["house-03"]["help_answered"], by_house["house-03"]["help_answer_min"]) \
        == (1, 5.0)  # the request that ended at the house unanswered is not an answer


def test_outages_are_counted_and_clipped_to_the_month(report):
    by_house = {line.house: line.figures for line in report.houses}
    for house, down, up in OUTAGES:
        hours = (min(up, DEC) - max(down, NOV)) / HOUR
        assert (by_house[house]["outages"], by_house[house]["outage_hours"]) == (1, hours)
    assert by_house["house-04"]["outage_hours"] == 2  # the October part is not November's


def test_days_carry_the_fleet_totals_for_the_charts(report):
    assert [day for day, _ in report.days][::29] == ["2026-11-01", "2026-11-30"]
    for name in report_month.CHARTED:
        assert sum(f[name] for _, f in report.days) == report.total.figures[name]


def sheet_rows(ws) -> tuple[list, list[list], list]:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:-1], rows[-1]


def test_xlsx_reads_back_with_the_stored_totals_on_every_sheet(db_path, report):
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(report, "vi")))
    assert wb.sheetnames == ["Tổng hợp", "Nhà văn hóa", "Tỉnh", "Huyện", "Xã", "Theo ngày"]
    head, rows, total = sheet_rows(wb["Nhà văn hóa"])
    assert head[:6] == ["Mã nhà", "Tên nhà", "Tỉnh/Thành phố", "Quận/Huyện", "Xã/Phường",
                        "Trang in"]
    want = expected(db_path)
    col = {name: head.index(f"{word}") for name, word in (
        ("pages_printed", "Trang in"), ("scans", "Lượt quét"), ("copies", "Bản sao"),
        ("wifi_users", "Người dùng Wi-Fi (lượt-ngày)"), ("wifi_sessions", "Phiên Wi-Fi"),
        ("hours_online", "Giờ hoạt động"), ("help_requests", "Yêu cầu trợ giúp"))}
    for row in rows:
        for name, i in col.items():
            assert row[i] == want[row[0]][name], (row[0], name)
    assert total[0] == "Tổng cộng"
    for name, i in col.items():
        assert total[i] == sum(w[name] for w in want.values()) == sum(r[i] for r in rows)
    assert [r[2] for r in rows if r[0] == "house-05"] == ["(chưa xếp vùng)"]
    for title, depth in (("Tỉnh", 1), ("Huyện", 2), ("Xã", 3)):
        head, rows, last = sheet_rows(wb[title])
        i = head.index("Trang in")
        assert head[depth] == "Số nhà" and last[i] == total[col["pages_printed"]] == sum(
            r[i] for r in rows)
    head, rows, last = sheet_rows(wb["Theo ngày"])
    assert len(rows) == 30 and last[1] == total[col["pages_printed"]]


def test_xlsx_headers_are_bold_frozen_and_numbers_formatted(report):
    ws = openpyxl.load_workbook(io.BytesIO(write_xlsx(report, "vi")))["Nhà văn hóa"]
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "F2"  # the header row and the house columns stay in view
    assert ws["F2"].number_format == "#,##0" and ws["M2"].number_format == "#,##0.00"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["F"].width > 8


def test_xlsx_sheets_print_on_a4_landscape_with_the_header_on_every_page(report):
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(report, "vi")))
    for ws in wb.worksheets:
        assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert wb["Xã"].print_title_rows == "$1:$1"
    assert wb.properties.title == "Báo cáo tháng 11/2026"


def test_xlsx_in_english_has_english_headers(report):
    wb = openpyxl.load_workbook(io.BytesIO(write_xlsx(report, "en")))
    assert wb.sheetnames[1] == "Houses" and wb["Houses"]["F1"].value == "Pages printed"


def pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, timeout=60, check=True)
    return out.stdout


def test_pdf_text_is_vietnamese_with_the_stored_totals(report, tmp_path):
    text = pdf_text(write_pdf(report, "vi"), tmp_path)
    for words in ("Báo cáo tháng 11/2026", "Số liệu chính", "Trang in mỗi ngày",
                  "Người dùng Wi-Fi mỗi ngày", "Trang in theo xã", "Theo vùng",
                  "Theo từng nhà", "Tỉnh/Thành phố", "Hưng Yên", "Phường Đình Bảng",
                  "Nhà văn hóa xóm Chùa", "(chưa xếp vùng)", "Tổng cộng", "Trang 2"):
        assert words in text, words
    pages = number(report.total.figures["pages_printed"], 0, "vi")
    assert report.total.figures["pages_printed"] >= 1000 and "." in pages  # 1.234, as in Vietnam
    assert pages in text.split("Số liệu chính")[1].split("Trang in mỗi ngày")[0]


def test_pdf_in_english_reads_in_english(report, tmp_path):
    text = pdf_text(write_pdf(report, "en"), tmp_path)
    assert "Monthly report 11/2026" in text and "Pages printed per day" in text


def test_pdf_pages_rasterise_and_the_first_is_kept_as_an_artefact(report, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(write_pdf(report, "vi"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    assert "841.89 x 595.276 pts (A4)" in info.stdout  # landscape
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(path), str(tmp_path / "page")],
                   check=True, timeout=120)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert pages >= 2 and len(pngs) == pages
    with Image.open(pngs[0]) as first:
        grey = first.convert("L")
        assert grey.getextrema()[0] < 100  # ink on the page, not a blank sheet
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(pngs[0], artifacts / "report-month.png")


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "2026-11-01", "", "1999-12",
                                  "2026-12", "２０２６-11"])
def test_a_month_that_is_malformed_too_old_or_not_begun_is_refused(text):
    with pytest.raises(BadRequest):
        parse_month(text, date(2026, 11, 29))


def test_the_current_month_is_accepted_so_far():
    assert parse_month(" 2026-11 ", date(2026, 11, 29)) == date(2026, 11, 1)


def test_numbers_are_written_the_vietnamese_way():
    assert (number(1234567, 0, "vi"), number(1234.5, 2, "vi")) == ("1.234.567", "1.234,50")
    assert number(1234.5, 1, "en") == "1,234.5"


def test_places_with_the_same_name_in_two_provinces_stay_apart():
    def line(province, district, pages):
        return Line("h", {"province": province, "district": district, "commune": "X"}, 1,
                    {f: (pages if f == "pages_printed" else 0) for f in FIELDS})
    lines = report_month.regions((line("A", "Same", 1), line("B", "Same", 2)))
    assert [(d.place["province"], d.figures["pages_printed"]) for d in lines["district"]] == \
        [("A", 1), ("B", 2)]


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central", *args], cwd=REPO,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def config(db_path, tmp_path_factory):
    from harness.edgeproc import write_central_config
    houses = {h: {"name": e.name, "province": e.province, "district": e.district,
                  "commune": e.commune} for h, e in KNOWN.items()}
    return write_central_config(tmp_path_factory.mktemp("cfg") / "central.toml", 1883, db_path,
                                8080, houses=houses)


def test_report_command_writes_the_month_as_xlsx_and_pdf(config, db_path, report, tmp_path):
    xlsx, pdf = tmp_path / "thang-11.xlsx", tmp_path / "thang-11.pdf"
    for fmt, path in (("xlsx", xlsx), ("pdf", pdf)):
        out = cli("report", "--config", str(config), "--month", "2026-11", "--format", fmt,
                  "--output", str(path))
        assert out.returncode == 0, out.stderr.decode()
    total = sheet_rows(openpyxl.load_workbook(xlsx)["Nhà văn hóa"])[2]
    assert total[5] == report.total.figures["pages_printed"]
    assert "Báo cáo tháng 11/2026" in pdf_text(pdf.read_bytes(), tmp_path)


@pytest.mark.parametrize("args, words", [
    (("--month", "2026-13", "--format", "pdf"), "month must look like 2026-11"),
    (("--month", "2099-01", "--format", "xlsx"), "has not started yet"),
    (("--from", "2026-11-01", "--format", "pdf"), "use --month"),
])
def test_report_command_refuses_a_bad_month_without_a_traceback(config, tmp_path, args, words):
    out = cli("report", "--config", str(config), *args, "--output", str(tmp_path / "x"))
    err = out.stderr.decode()
    assert out.returncode == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_report_command_month_gives_the_daily_csv_of_that_month(config):
    out = cli("report", "--config", str(config), "--month", "2026-11")
    lines = out.stdout.decode().splitlines()
    assert out.returncode == 0 and lines[1].startswith("2026-11-01,")
    assert lines[-1].startswith("2026-11-30,") and len(lines) == 1 + 30 * len(HOUSES)


def test_pdf_embeds_the_dejavu_font_for_the_vietnamese_letters(report, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(write_pdf(report, "vi"))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
    fonts = [line.split() for line in listing.splitlines()[2:]]
    # name, type, encoding, embedded, ...: DejaVu embedded (reportlab also selects its default
    # Helvetica, a PDF base font without Vietnamese letters, but never shows text in it)
    embedded = {name.split("+")[-1] for name, kind, _, emb, *_ in fonts if emb == "yes"}
    assert embedded == {"DejaVuSans", "DejaVuSans-Bold"}
    shown = set()
    reader = PdfReader(path)
    for page in reader.pages:
        names, font = page["/Resources"]["/Font"], None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                font = names[operands[0]].get_object()["/BaseFont"].split("+")[-1]
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                shown.add(font)
    assert shown == embedded


def test_without_the_font_the_pdf_says_which_package_to_install():
    out = subprocess.run([sys.executable, "-c",
                          "from central.report_pdf import register_fonts\n"
                          "register_fonts(('/nonexistent',))"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "install the Debian package fonts-dejavu-core" in out.stderr


def test_places_are_listed_by_name_with_numbers_in_order_and_the_unplaced_last():
    def line(commune):
        return Line("h", {"province": "P", "district": "D", "commune": commune}, 1,
                    dict.fromkeys(FIELDS, 0))
    names = [c.name for c in report_month.regions(tuple(
        line(c) for c in ("Xã 10", "", "xã 2", "Phường 1", "Xã 2b")))["commune"]]
    assert names == ["Phường 1", "xã 2", "Xã 2b", "Xã 10", ""]
