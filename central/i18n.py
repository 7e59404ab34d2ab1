"""Words on the dashboard, Vietnamese first, English second; printer reasons in plain words.

Pure data and lookups; the page gets the same table as JSON from /i18n.json.
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
        # House page, operators only: the print queue panel and re-probing the devices.
        "jobs.title": "Hàng đợi in", "jobs.refresh": "Làm mới", "jobs.release": "In",
        "jobs.cancel": "Huỷ", "jobs.confirm_cancel": "Huỷ hẳn lệnh in số {job}?",
        "jobs.yes_cancel": "Có, huỷ lệnh", "jobs.keep": "Không",
        "jobs.none": "Không có lệnh in nào đang chờ.", "jobs.job": "Lệnh in số {job}",
        "jobs.pages": "{n} trang", "jobs.pages_unknown": "chưa rõ số trang",
        "jobs.asking": "Đang hỏi nhà…", "jobs.updated": "Cập nhật lúc {time}.",
        "jobs.printing": "Đang in {n} lệnh.",
        "jobs.state.held": "đang giữ, chờ bấm In", "jobs.state.pending": "đang chờ máy in",
        "jobs.state.processing": "đang in", "jobs.state.stopped": "bị dừng vì lỗi",
        "jobs.state.other": "khác",
        "jobs.origin.copy": "bản photo tại nhà", "jobs.origin.local": "gửi từ máy Pi của nhà",
        "jobs.origin.lan": "gửi từ máy tính hoặc điện thoại trong nhà",
        "rescan.button": "Tìm lại máy in và máy quét",
        "rescan.none": "Nhà này không bật máy in hay máy quét nào.",
        "rescan.searching": "đang tìm (kết quả sẽ hiện ở mục Máy quét phía trên)",
        "state.paused": "Đang tạm dừng",
        "problem.paper_out": "hết giấy", "problem.jam": "kẹt giấy",
        "problem.cover_open": "nắp máy đang mở", "problem.toner_out": "hết mực",
        "problem.printer_offline": "máy in không hoạt động",
        "problem.printer_fault": "máy in báo lỗi",
        "cmd.sent": "Đã gửi, đang chờ nhà trả lời…",
        "cmd.released": "Lệnh in số {job} đã được chuyển sang máy in.",
        "cmd.cancelled": "Đã huỷ lệnh in số {job}.", "cmd.rescanned": "Nhà đã tìm lại:",
        "cmd.refused": "Nhà không làm được: {why}.",
        "cmd.no_answer": "Nhà chưa trả lời sau {s} giây.",
        "cmd.offline": "Nhà đang mất kết nối nên chưa trả lời; lệnh sẽ được thực hiện nếu nhà "
                       "kết nối lại sớm.",
        "cmd.not_sent": "Chưa gửi được lệnh: {why}.",
        "cmd.logged_out": "phiên đăng nhập đã hết, hãy đăng nhập lại",
        "cmd.network": "không kết nối được tới máy chủ",
        "cmd.server": "máy chủ không nhận lệnh (mã {status})",
        "why.no_such_job": "không còn lệnh in này (đã in xong, đã huỷ hoặc không có)",
        "why.wrong_state": "lệnh in này không còn chờ ({state})",
        "why.printer_problem": "máy in đang có sự cố ({cause})",
        "why.in_progress": "nhà đang xử lý lệnh in này rồi",
        "why.not_available": "nhà này không bật chức năng đó",
        "why.expired": "lệnh đến nhà quá muộn", "why.failed": "phần mềm ở nhà gặp lỗi",
        "why.other": "lỗi {error}",
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
        # House page, operators only: the print queue panel and re-probing the devices.
        "jobs.title": "Print queue", "jobs.refresh": "Refresh", "jobs.release": "Print",
        "jobs.cancel": "Cancel", "jobs.confirm_cancel": "Cancel print job {job} for good?",
        "jobs.yes_cancel": "Yes, cancel it", "jobs.keep": "No",
        "jobs.none": "No print jobs are waiting.", "jobs.job": "Print job {job}",
        "jobs.pages": "{n} pages", "jobs.pages_unknown": "pages not known yet",
        "jobs.asking": "Asking the house…", "jobs.updated": "Updated at {time}.",
        "jobs.printing": "Printing {n} job(s).",
        "jobs.state.held": "held until someone presses Print",
        "jobs.state.pending": "waiting for the printer", "jobs.state.processing": "printing",
        "jobs.state.stopped": "stopped by an error", "jobs.state.other": "other",
        "jobs.origin.copy": "a copy made at the house",
        "jobs.origin.local": "sent on the house's Pi",
        "jobs.origin.lan": "sent from a computer or phone in the house",
        "rescan.button": "Look for the printer and scanner again",
        "rescan.none": "This house has no printer or scanner enabled.",
        "rescan.searching": "looking (what it finds will show under Scanner above)",
        "state.paused": "Paused",
        "problem.paper_out": "out of paper", "problem.jam": "paper jam",
        "problem.cover_open": "cover open", "problem.toner_out": "out of ink or toner",
        "problem.printer_offline": "printer not working",
        "problem.printer_fault": "printer reports an error",
        "cmd.sent": "Sent; waiting for the house to answer…",
        "cmd.released": "Print job {job} is going to the printer.",
        "cmd.cancelled": "Print job {job} cancelled.", "cmd.rescanned": "The house looked again:",
        "cmd.refused": "The house could not do it: {why}.",
        "cmd.no_answer": "No answer from the house after {s} seconds.",
        "cmd.offline": "The house is offline, so no answer yet; the command runs if the house "
                       "reconnects soon.",
        "cmd.not_sent": "The command was not sent: {why}.",
        "cmd.logged_out": "your session has ended; log in again",
        "cmd.network": "cannot reach the server",
        "cmd.server": "the server refused it (code {status})",
        "why.no_such_job": "that job is gone (printed, cancelled or never there)",
        "why.wrong_state": "that job is no longer waiting ({state})",
        "why.printer_problem": "the printer has a problem ({cause})",
        "why.in_progress": "the house is already acting on that job",
        "why.not_available": "that feature is not enabled at this house",
        "why.expired": "the command reached the house too late",
        "why.failed": "the house's software failed", "why.other": "error {error}",
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
