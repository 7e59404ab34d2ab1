"""Words on the dashboard, Vietnamese first, English second; printer reasons in plain words.

Pure data and lookups; the page gets the same table as JSON from /i18n.json.
Pure: standard library only.
"""
from __future__ import annotations

LANGS = ("vi", "en")

TEXT = {
    "vi": {
        "title": "Nhà văn hóa số — tình trạng các nhà", "other_lang": "English",
        "online": "Đang hoạt động", "offline": "Mất kết nối",
        "cause.lost": "mất điện hoặc mất mạng", "cause.stopped": "dịch vụ đã dừng",
        "cause.power_cut": "mất điện", "cause.network_loss": "mất mạng",
        "cause.restart": "phần mềm khởi động lại", "cause.silent": "không có tín hiệu",
        "cause.never": "chưa từng kết nối", "back_after": "Vừa có lại sau",
        "last_seen": "Lần cuối", "printer": "Máy in", "queue": "Hàng chờ in",
        "scanner": "Máy quét", "wifi_now": "Đang dùng Wi-Fi", "today": "Hôm nay",
        "pages": "trang in", "scans": "lượt quét", "copies": "bản sao", "users": "người dùng",
        "alerts": "Cảnh báo", "help": "Cần trợ giúp", "ack": "Đã nhận",
        "acked": "Đã xác nhận", "none": "Chưa có nhà nào gửi dữ liệu.", "ago": "trước",
        "s": "giây", "min": "phút", "h": "giờ", "d": "ngày", "logout": "Đăng xuất",
        "login": "Đăng nhập", "user": "Tên đăng nhập", "password": "Mật khẩu",
        "bad_login": "Sai tên đăng nhập hoặc mật khẩu.", "too_many": "Thử sai quá nhiều lần, hãy đợi.",
        "per_hour": "Theo giờ (7 ngày)", "per_day": "Theo ngày (30 ngày)",
        "events": "Sự kiện gần đây", "outages": "Các lần mất kết nối", "back": "Tất cả các nhà",
        "m.print.pages": "Trang in", "m.scan.jobs": "Lượt quét", "m.copy.jobs": "Bản sao",
        "m.wifi.clients": "Người dùng Wi-Fi", "m.print.jobs": "Lệnh in",
        "m.scan.pages": "Trang quét", "m.help.requests": "Yêu cầu trợ giúp",
        "m.online.minutes": "Phút hoạt động",
        "state.idle": "Sẵn sàng", "state.processing": "Đang in", "state.stopped": "Đã dừng",
        "state.unreachable": "Không liên lạc được", "state.missing": "Không thấy thiết bị",
        "state.ready": "Sẵn sàng", "state.scanning": "Đang quét", "state.busy": "Đang bận",
        "state.error": "Lỗi", "state.unknown": "Không rõ",
        "state.searching": "Đang tìm máy quét", "state.waiting": "Chờ đặt giấy",
        "state.fault": "Máy quét bị lỗi",
        "alert.house.offline": "{house}: mất kết nối {dur} ({cause})",
        "alert.printer.attention": "{house}: máy in cần xử lý — {reasons}",
        "alert.scanner.missing": "{house}: không thấy máy quét",
        "alert.outbox.backlog": "{house}: dữ liệu chờ gửi tăng ({rows} bản ghi)",
        "alert.clock.skew": "{house}: đồng hồ lệch {dur}",
        "alert.disk.low": "{house}: ổ đĩa sắp đầy (còn {pct}%)",
        "alert.help.unacked": "{house}: người dân cần trợ giúp, chưa ai nhận ({dur})",
    },
    "en": {
        "title": "Cultural houses — status", "other_lang": "Tiếng Việt",
        "online": "Online", "offline": "Offline",
        "cause.lost": "power cut or network loss", "cause.stopped": "service stopped",
        "cause.power_cut": "power cut", "cause.network_loss": "network loss",
        "cause.restart": "software restarted", "cause.silent": "no heartbeat",
        "cause.never": "never connected", "back_after": "Back after",
        "last_seen": "Last seen", "printer": "Printer", "queue": "Print queue",
        "scanner": "Scanner", "wifi_now": "Wi-Fi users now", "today": "Today",
        "pages": "pages", "scans": "scans", "copies": "copies", "users": "users",
        "alerts": "Alerts", "help": "Help requested", "ack": "Acknowledge",
        "acked": "Acknowledged", "none": "No house has reported yet.", "ago": "ago",
        "s": "s", "min": "min", "h": "h", "d": "d", "logout": "Log out",
        "login": "Log in", "user": "User name", "password": "Password",
        "bad_login": "Wrong user name or password.", "too_many": "Too many failed attempts; wait.",
        "per_hour": "Per hour (7 days)", "per_day": "Per day (30 days)",
        "events": "Recent events", "outages": "Outages", "back": "All houses",
        "m.print.pages": "Pages printed", "m.scan.jobs": "Scans", "m.copy.jobs": "Copies",
        "m.wifi.clients": "Wi-Fi users", "m.print.jobs": "Print jobs",
        "m.scan.pages": "Scanned pages", "m.help.requests": "Help requests",
        "m.online.minutes": "Minutes online",
        "state.idle": "Ready", "state.processing": "Printing", "state.stopped": "Stopped",
        "state.unreachable": "Unreachable", "state.missing": "Not found",
        "state.ready": "Ready", "state.scanning": "Scanning", "state.busy": "Busy",
        "state.error": "Error", "state.unknown": "Unknown",
        "state.searching": "Looking for the scanner", "state.waiting": "Waiting for paper",
        "state.fault": "Scanner fault",
        "alert.house.offline": "{house}: offline for {dur} ({cause})",
        "alert.printer.attention": "{house}: printer needs attention — {reasons}",
        "alert.scanner.missing": "{house}: scanner not found",
        "alert.outbox.backlog": "{house}: data waiting to send is growing ({rows} rows)",
        "alert.clock.skew": "{house}: clock is off by {dur}",
        "alert.disk.low": "{house}: disk almost full ({pct}% free)",
        "alert.help.unacked": "{house}: a citizen needs help, nobody acknowledged ({dur})",
    },
}

# Printer state reasons (IPP keywords without -error/-warning/-report) in plain words.
REASONS = {
    "vi": {"media-empty": "Hết giấy", "media-needed": "Cần thêm giấy", "media-jam": "Kẹt giấy",
           "cover-open": "Nắp máy đang mở", "door-open": "Cửa máy đang mở",
           "offline": "Máy in đang tắt", "marker-supply-empty": "Hết mực",
           "marker-supply-low": "Sắp hết mực", "toner-empty": "Hết mực", "toner-low": "Sắp hết mực",
           "input-tray-missing": "Thiếu khay giấy", "output-area-full": "Khay ra đầy giấy",
           "paused": "Đang tạm dừng", "connecting-to-device": "Đang kết nối máy in",
           "other": "Lỗi khác"},
    "en": {"media-empty": "Out of paper", "media-needed": "Load paper", "media-jam": "Paper jam",
           "cover-open": "Cover open", "door-open": "Door open", "offline": "Printer switched off",
           "marker-supply-empty": "Out of ink", "marker-supply-low": "Ink low",
           "toner-empty": "Out of toner", "toner-low": "Toner low",
           "input-tray-missing": "Paper tray missing", "output-area-full": "Output tray full",
           "paused": "Paused", "connecting-to-device": "Connecting to printer",
           "other": "Other problem"},
}
# Reasons that only warn: the printer still prints.
WARNING_REASONS = frozenset({"marker-supply-low", "toner-low", "connecting-to-device"})


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else LANGS[0]


def t(lang: str, key: str, **values) -> str:
    text = TEXT[pick(lang)].get(key) or TEXT["en"].get(key) or key
    return text.format(**values) if values else text


def base_reason(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def reason_words(lang: str, reason: str) -> str:
    """'media-empty-error' -> 'Hết giấy'; an unknown keyword is shown as it is."""
    return REASONS[pick(lang)].get(base_reason(reason), reason)


def duration(lang: str, seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{round(seconds)} {t(lang, 's')}"
    if seconds < 7200:
        return f"{round(seconds / 60)} {t(lang, 'min')}"
    if seconds < 172800:
        return f"{round(seconds / 3600)} {t(lang, 'h')}"
    return f"{round(seconds / 86400)} {t(lang, 'd')}"


def bundle() -> dict:
    """Everything the page needs to render in either language."""
    return {"text": TEXT, "reasons": REASONS}
