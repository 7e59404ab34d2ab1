"""The dashboard speaks people's words: events as sentences from the catalogue, times in the
house's zone and labelled so, a fleet summary, charts whose axes can be read (all pure)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from central import pages, sentences
from central.fleet import fleet_summary
from common.i18n import LANGS, catalogue, placeholders
from protocol.vocabulary import EVENTS, Value, event_problems

REPO = Path(__file__).resolve().parents[2]
VN = "Asia/Ho_Chi_Minh"


def sample(key: str, spec: Value):
    """A value of the declared type (and range) for one data key."""
    low = int(spec.min) if spec.min is not None else 0
    high = spec.max if spec.max is not None else 10**6
    return {"int": min(max(low, 7), int(high)), "number": min(max(low, 42.5), high / 2),
            "bool": True, "keyword": "jam",
            "keywords": ["media-empty-error"], "date": "2026-11-28", "str": "abc",
            "counts": {"lt_5m": 2}, "any": 1}[spec.type]


def sample_data(event_type: str) -> dict:
    return {key: sample(key, spec) for key, spec in EVENTS[event_type].data.items()}


@pytest.mark.parametrize("lang", LANGS)
def test_every_declared_event_type_has_a_sentence_in_both_languages(lang):
    assert sorted(t for t in EVENTS if "event." + t not in catalogue(lang)) == []


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_a_sentence_names_only_data_its_event_declares(event_type):
    for lang in LANGS:
        assert placeholders(catalogue(lang)["event." + event_type]) <= set(
            EVENTS[event_type].data), lang


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_every_event_renders_as_a_sentence_from_sample_data_of_its_declared_types(event_type,
                                                                                 lang):
    data = sample_data(event_type)
    assert event_problems(event_type, data) == []  # the samples fit the declaration
    said = sentences.event_sentence(lang, event_type, data)
    assert "{" not in said and event_type not in said and said[0].isupper(), said


def test_a_printed_job_reads_as_a_vietnamese_sentence():
    assert sentences.event_sentence("vi", "print.job_completed", {"job": 12, "pages": 3}) == \
        "Đã in xong 3 trang (lệnh in số 12)"
    assert sentences.event_sentence("en", "print.job_completed", {"job": 12, "pages": 3}) == \
        "Printed 3 pages (print job 12)"


def test_keywords_durations_and_printer_reasons_are_put_into_words():
    vi = sentences.event_sentence
    assert vi("vi", "scan.failed", {"purpose": "doc", "preset": "a4", "reason": "jam",
                                    "page": 2}) == "Quét bị lỗi ở trang 2: kẹt giấy"
    assert vi("vi", "help.closed", {"request": 3, "reason": "timeout", "acknowledged": False,
                                    "open_s": 600}) == \
        "Yêu cầu trợ giúp kết thúc sau 10 phút (hết thời gian chờ)"
    assert vi("vi", "printer.state_changed", {"state": "stopped",
                                              "reasons": ["media-empty-error"]}) == \
        "Máy in: Đã dừng (Hết giấy)"
    assert vi("en", "print.job_failed", {"job": 5, "reason": "never-heard-of"}) == \
        "Print job 5 did not print: never-heard-of"  # an unknown keyword is shown as it is


def test_an_event_that_breaks_its_declaration_or_is_unknown_is_named_by_its_type():
    assert sentences.event_sentence("vi", "print.job_completed", {"job": "seven"}) == \
        "Sự kiện print.job_completed job=seven"
    assert sentences.event_sentence("en", "future.thing", {"n": 1, "deep": {"x": 1}}) == \
        "Event future.thing n=1"
    assert sentences.event_sentence("en", "future.thing", ["not", "a", "dict"]) == \
        "Event future.thing"


HOSTILE = "<script>alert(1)</script>"


def card(**over) -> dict:
    base = {"house": "house-01", "name": "Nhà văn hóa <b>thôn</b>", "online": True,
            "cause": "", "printer": {"state": "idle", "reasons": []},
            "scanner": {"state": "ready"}, "wifi_now": 3, "help": [],
            "today": {"pages": 0}}
    return {**base, **over}


def test_a_hostile_value_in_an_event_reaches_the_house_page_only_as_escaped_text():
    events = [{"ts": 0, "type": HOSTILE, "data": {"note": HOSTILE}},
              {"ts": 0, "type": "copy.failed", "data": {"reason": "jam", "copy_id": HOSTILE}}]
    view = pages.house_view("vi", card(), [], events, [], VN, 0)
    html = pages.house_page("vi", view).decode()
    assert "<script>alert" not in html and "<b>thôn" not in html
    assert "Sự kiện &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Sao chụp không thành công: kẹt giấy" in html


def test_event_times_are_in_the_house_zone_and_the_page_says_which():
    ts = int(datetime(2026, 11, 29, 0, 30, tzinfo=timezone.utc).timestamp() * 1000)
    events = [{"ts": ts, "type": "help.requested", "data": {"request": 1}}]
    view = pages.house_view("vi", card(), [], events, [], VN, ts)
    assert view["events"][0]["when"] == "29/11 07:30"
    assert view["events"][0]["iso"] == "2026-11-29T07:30+07:00"
    html = pages.house_page("vi", view).decode()
    assert "Thời gian theo giờ Việt Nam (UTC+7)" in html
    assert '<time datetime="2026-11-29T07:30+07:00">29/11 07:30</time>' in html
    english = pages.house_view("en", card(), [], events, [], VN, ts)
    assert english["times_in"] == "Times in Vietnam time (UTC+7)"


@pytest.mark.parametrize(("zone", "when", "offset"), [
    (VN, datetime(2026, 6, 1), "UTC+7"), ("Asia/Kolkata", datetime(2026, 6, 1), "UTC+5:30"),
    ("America/New_York", datetime(2026, 1, 15), "UTC-5"), ("UTC", datetime(2026, 1, 1), "UTC")])
def test_a_zone_is_labelled_with_its_offset_at_that_moment(zone, when, offset):
    ms = int(when.replace(tzinfo=timezone.utc).timestamp() * 1000)
    assert sentences.utc_offset(zone, ms) == offset
    assert sentences.zone_label("vi", zone, ms).endswith(f"({offset})")


def summary_card(online=True, state="idle", reasons=(), helps=0, pages=0) -> dict:
    return {"online": online, "printer": {"state": state, "reasons": list(reasons)},
            "help": [{"seq": i, "ts": 0} for i in range(helps)], "today": {"pages": pages}}


def test_the_fleet_summary_counts_houses_online_blocked_printers_help_and_pages_today():
    cards = [summary_card(pages=12, helps=1),
             summary_card(state="stopped", reasons=["media-empty-error"], pages=3),
             summary_card(state="idle", reasons=["toner-low"], pages=5),  # a warning only
             summary_card(online=False, state="stopped", helps=2),  # stale: not counted
             summary_card(state=None)]
    assert fleet_summary(cards) == {"houses": 5, "online": 4, "printers_blocked": 1,
                                    "help_waiting": 3, "pages_today": 20}
    assert fleet_summary([]) == {"houses": 0, "online": 0, "printers_blocked": 0,
                                 "help_waiting": 0, "pages_today": 0}


def hours(start: datetime, n: int, value=2) -> list[list]:
    first = int(start.timestamp() * 1000)
    return [[first + i * 3_600_000, value] for i in range(n)]


def test_an_hourly_chart_marks_each_local_midnight_with_weekday_and_date():
    start = datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc)  # Mon 23/11 00:00 in Vietnam
    chart = pages.build_chart(hours(start, 7 * 24), "Trang in", VN, True, "vi", "trang")
    assert [(t.day, t.label) for t in chart.ticks] == [
        ("T2", "23/11"), ("T3", "24/11"), ("T4", "25/11"), ("T5", "26/11"), ("T6", "27/11"),
        ("T7", "28/11"), ("CN", "29/11")]
    english = pages.build_chart(hours(start, 48), "Pages", VN, True, "en", "pages")
    assert [t.day for t in english.ticks] == ["Mon", "Tue"]


def test_a_chart_labels_its_y_axis_and_says_its_total_or_peak_with_the_unit():
    ms = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    chart = pages.build_chart([[ms, 3], [ms + 3_600_000, 7], [ms + 7_200_000, "x"]], "Trang in",
                              VN, True, "vi", "trang")
    assert [level.label for level in chart.levels] == ["0", "4", "8"]
    assert chart.note == "tổng 10 trang"
    peak = pages.build_chart([[0, 3], [3_600_000, 7]], "Wi-Fi", VN, True, "en", "people",
                             peak=True)
    assert peak.note == "at most 7 people"
    assert chart.bars[1].tip == "01/01 08:00: 7 trang"


@pytest.mark.parametrize(("value", "top"), [(0, 2), (1.5, 2), (3, 4), (5, 6), (7, 8), (9, 10),
                                            (11, 20), (480, 600), (1001, 2000)])
def test_the_y_axis_top_is_a_round_number_at_or_above_the_highest_bar(value, top):
    assert pages.nice_top(value) == top


def test_a_daily_chart_marks_every_seventh_day():
    start = datetime(2026, 10, 30, 17, 0, tzinfo=timezone.utc)
    days = [[int(start.timestamp() * 1000) + i * 86_400_000, 1] for i in range(31)]
    chart = pages.build_chart(days, "Trang in", VN, False, "vi", "trang")
    assert [t.label for t in chart.ticks] == ["31/10", "07/11", "14/11", "21/11", "28/11"]
    # the last date would run off the right edge: it ends at its bar's right side instead
    assert [t.anchor for t in chart.ticks] == ["start"] * 4 + ["end"]
    assert float(chart.ticks[-1].x) + 0.1 >= float(chart.bars[28].x) + float(chart.bars[28].width)


def test_chart_text_is_drawn_for_a_phone_screen():
    chart = pages.build_chart(hours(datetime(2026, 1, 1, tzinfo=timezone.utc), 24), "x", VN,
                              True)
    svg = pages.TEMPLATES.from_string(
        '{% from "chart.html" import bar_chart %}{{ bar_chart(c) }}').render(c=chart)
    assert 'viewBox="0 0 360 200"' in svg  # 1 unit ≈ 1 px at 360 px wide
    css = (REPO / "central/static/style.css").read_text()
    assert re.search(r"svg\.chart text\{font-size:1[2-9]px", css)


def test_relative_times_are_worded_by_one_helper_shared_by_both_pages():
    static = REPO / "central/static"
    wording = {p.name for p in static.glob("*.js") if '"duration."' in p.read_text()}
    assert wording == {"words.js"}
    for page in ("app.js", "house.js"):
        assert "window.chWords(" in (static / page).read_text()
