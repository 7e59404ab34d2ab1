"""Alert decisions with hysteresis: plain values in, raised and cleared tracks out."""
from __future__ import annotations

import protocol
from central import alerts
from central.alerts import Rules

MIN = 60_000
RULES = Rules()


def card(**over) -> dict:
    base = {"house": "house-01", "online": True, "cause": "", "last_seen": 0, "help": [],
            "printer": {"state": "idle", "reasons": []}, "scanner": {"state": "ready"},
            "metrics": {"outbox.rows": 0, "sys.disk_free_pct": 50.0}}
    base.update(over)
    return base


def run(tracks, c, now, skew_ms=None, growing=False, rules=RULES):
    raised = {k for (h, k), t in tracks.items() if t.raised}
    conds, current = alerts.observe(c, rules, raised, skew_ms, growing)
    return alerts.step(tracks, c["house"], conds, current, now, rules)


def kinds(tracks):
    return [t.kind for t in tracks]


def test_an_offline_house_is_alerted_after_ten_minutes_not_before():
    tracks = {}
    off = card(online=False, cause="lost", last_seen=0)
    assert run(tracks, off, 9 * MIN) == ([], [])
    up, _ = run(tracks, off, 10 * MIN)
    assert kinds(up) == ["house.offline"]


def test_the_offline_alert_clears_as_soon_as_the_house_is_back():
    tracks = {}
    run(tracks, card(online=False, cause="lost", last_seen=0), 11 * MIN)
    _, down = run(tracks, card(), 12 * MIN)
    assert kinds(down) == ["house.offline"] and tracks == {}


def test_a_printer_needing_attention_is_alerted_after_ten_minutes():
    tracks = {}
    jam = card(printer={"state": "stopped", "reasons": ["media-jam-error"]})
    assert run(tracks, jam, 0) == ([], [])
    assert run(tracks, jam, 9 * MIN)[0] == []
    assert kinds(run(tracks, jam, 10 * MIN)[0]) == ["printer.attention"]


def test_toner_low_alone_is_not_an_attention_alert():
    tracks = {}
    low = card(printer={"state": "idle", "reasons": ["toner-low-warning"]})
    run(tracks, low, 0)
    assert run(tracks, low, 60 * MIN) == ([], []) and tracks == {}


def test_a_short_blip_of_good_state_does_not_clear_a_printer_alert():
    tracks = {}
    jam = card(printer={"state": "stopped", "reasons": ["media-jam-error"]})
    run(tracks, jam, 0)
    run(tracks, jam, 10 * MIN)
    assert run(tracks, card(), 10 * MIN + 30_000) == ([], [])
    assert run(tracks, jam, 10 * MIN + 40_000) == ([], [])  # back again: still the same alert
    assert run(tracks, card(), 11 * MIN) == ([], [])
    assert kinds(run(tracks, card(), 12 * MIN)[1]) == ["printer.attention"]


def test_disk_alert_clears_only_above_the_higher_threshold():
    tracks = {}
    low = card(metrics={"sys.disk_free_pct": 8.0})
    run(tracks, low, 0)
    assert kinds(run(tracks, low, 1 * MIN)[0]) == ["disk.low"]
    middling = card(metrics={"sys.disk_free_pct": 12.0})
    assert run(tracks, middling, 5 * MIN) == ([], [])
    assert run(tracks, middling, 10 * MIN) == ([], [])
    ok = card(metrics={"sys.disk_free_pct": 20.0})
    run(tracks, ok, 11 * MIN)
    assert kinds(run(tracks, ok, 12 * MIN)[1]) == ["disk.low"]


def test_help_not_acknowledged_within_five_minutes_is_alerted():
    tracks = {}
    asking = card(help=[{"seq": 4, "ts": 0}])
    assert run(tracks, asking, 4 * MIN) == ([], [])
    assert kinds(run(tracks, asking, 5 * MIN)[0]) == ["help.unacked"]
    assert kinds(run(tracks, card(), 6 * MIN)[1]) == ["help.unacked"]


def test_the_backlog_alert_needs_a_growing_outbox():
    tracks = {}
    big = card(metrics={"outbox.rows": 5000, "sys.disk_free_pct": 50.0})
    run(tracks, big, 0, growing=False)
    assert run(tracks, big, 10 * MIN, growing=False) == ([], [])
    run(tracks, big, 11 * MIN, growing=True)
    assert kinds(run(tracks, big, 12 * MIN, growing=True)[0]) == ["outbox.backlog"]


def test_clock_skew_over_five_minutes_is_alerted_after_two_minutes():
    tracks = {}
    run(tracks, card(), 0, skew_ms=6 * MIN)
    assert kinds(run(tracks, card(), 2 * MIN, skew_ms=6 * MIN)[0]) == ["clock.skew"]
    assert run(tracks, card(), 3 * MIN, skew_ms=4 * MIN) == ([], [])


def test_stale_figures_of_an_offline_house_neither_raise_nor_clear():
    tracks = {}
    jam = card(printer={"state": "stopped", "reasons": ["media-jam-error"]})
    run(tracks, jam, 0)
    run(tracks, jam, 10 * MIN)
    off = card(online=False, cause="lost", last_seen=10 * MIN,
               printer={"state": "idle", "reasons": []})
    run(tracks, off, 12 * MIN)
    run(tracks, off, 15 * MIN)
    assert ("house-01", "printer.attention") in tracks


def test_alert_text_names_the_reason_in_plain_vietnamese_and_english():
    track = alerts.Track("house-01", "printer.attention", 0,
                         {"state": "stopped", "reasons": ["media-empty-error", "cover-open"]}, 1)
    assert alerts.describe(track, "vi", 0, "Nhà văn hóa thôn Đông") == \
        "Nhà văn hóa thôn Đông: máy in cần xử lý — Hết giấy, Nắp máy đang mở"
    assert alerts.describe(track, "en", 0) == \
        "house-01: printer needs attention — Out of paper, Cover open"


def test_offline_text_says_how_long_and_the_likely_cause():
    track = alerts.Track("house-01", "house.offline", 0, {"cause": "stopped"}, 1)
    assert alerts.describe(track, "vi", 25 * MIN) == "house-01: mất kết nối 25 phút (dịch vụ đã dừng)"


def test_an_alert_with_many_long_reasons_is_shortened_and_still_published():
    tracks = {}
    reasons = [f"com.vendor.{'x' * 40}-{i}-error" for i in range(32)]
    run(tracks, card(printer={"state": "stopped", "reasons": reasons}), 0)
    up, _ = run(tracks, card(printer={"state": "stopped", "reasons": reasons}), 10 * MIN)
    item = alerts.as_dict(up[0], 10 * MIN)
    assert len(item["text"]) <= protocol.MAX_STRING and item["text"].endswith("…")
    payload = protocol.build_central_alerts(protocol.CentralAlerts(10 * MIN, (protocol.AlertItem(
        item["house"], item["kind"], item["since"], item["text"], item["text_en"]),)))
    assert len(protocol.parse_central_alerts(payload).alerts) == 1
