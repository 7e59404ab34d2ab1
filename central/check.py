"""`culturehouse-central check`: config, broker, database, web port, disk and clock on one screen.

Reuses the check lines, rendering and broker/disk/clock probes of edge/check.py.
"""
from __future__ import annotations

import errno
import json
import socket
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, TextIO

from common.checks import (MIN_FREE_MB, CheckLine, assess_clock, broker_line,
                           check_disk, config_line, exit_code, load_for_check, probe_broker,
                           quiet_libraries, render_json, render_text, t)
from common.clock import ClockReading, read_clock

TABLES = ("houses", "messages", "status_log")


def check_database(path: Path, lang: str) -> CheckLine:
    """The SQLite file opens, passes quick_check and has central's tables (or can be created)."""
    restore = t(lang, "stop central, restore the last backup (docs/operations.md), start it",
                "dừng dịch vụ, khôi phục bản sao lưu gần nhất (docs/operations.md), rồi chạy lại")
    if not path.exists():
        if path.parent.is_dir():
            return CheckLine("database", True, t(lang, f"database {path} will be created on start",
                                                 f"cơ sở dữ liệu {path} sẽ được tạo khi chạy"))
        return CheckLine("database", False, t(lang, f"folder {path.parent} does not exist",
                                              f"thư mục {path.parent} chưa có"),
                         t(lang, "run `sudo ./install.sh central` again, or fix [storage] database",
                           "chạy lại `sudo ./install.sh central`, hoặc sửa [storage] database"))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            houses = db.execute("SELECT count(*) FROM houses").fetchone()[0] \
                if "houses" in tables else 0
        finally:
            db.close()
    except sqlite3.Error as exc:
        return CheckLine("database", False, t(lang, f"database {path} unusable ({exc})",
                                              f"cơ sở dữ liệu {path} hỏng ({exc})"), restore)
    if verdict != "ok":
        return CheckLine("database", False, t(lang, f"database {path} is damaged ({verdict})",
                                              f"cơ sở dữ liệu {path} bị hỏng ({verdict})"), restore)
    missing = [name for name in TABLES if name not in tables]
    if missing:
        return CheckLine("database", False, t(
            lang, f"{path} is not central's database (no table {', '.join(missing)})",
            f"{path} không phải cơ sở dữ liệu của hệ thống (thiếu bảng {', '.join(missing)})"),
            t(lang, "point [storage] database at the right file",
              "sửa [storage] database cho đúng tệp"))
    return CheckLine("database", True, t(lang, f"database {path} healthy, {houses} house(s) known",
                                         f"cơ sở dữ liệu {path} tốt, đã biết {houses} nhà"))


def is_central_at(host: str, port: int) -> bool:
    """Does a culturehouse central answer /healthz on this port?"""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    try:
        with urllib.request.urlopen(f"http://{target}:{port}/healthz", timeout=3) as resp:
            return "version" in json.loads(resp.read(65536))
    except (OSError, ValueError, urllib.error.URLError):
        return False


def check_web_port(host: str, port: int, lang: str) -> CheckLine:
    """The dashboard port is free, or already served by central itself."""
    where = f"{host}:{port}"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            if is_central_at(host, port):
                return CheckLine("web", True, t(lang, f"dashboard answering on {where}",
                                                f"trang theo dõi đang chạy ở {where}"))
            return CheckLine("web", False, t(lang, f"port {where} is used by another program",
                                             f"cổng {where} đang bị chương trình khác dùng"),
                             t(lang, f"find it with `ss -ltnp 'sport = :{port}'`, or change "
                                     "[web] port", f"tìm bằng `ss -ltnp 'sport = :{port}'`, "
                                                   "hoặc đổi [web] port"))
        if exc.errno == errno.EACCES:
            fix = t(lang, "use a port above 1023 (e.g. 8080) behind a reverse proxy",
                    "dùng cổng lớn hơn 1023 (ví dụ 8080) sau một reverse proxy")
        else:
            fix = t(lang, "[web] host must be an address of this machine, or 0.0.0.0",
                    "[web] host phải là địa chỉ của máy này, hoặc 0.0.0.0")
        return CheckLine("web", False, t(lang, f"cannot listen on {where} ({exc.strerror})",
                                         f"không mở được cổng {where} ({exc.strerror})"), fix)
    return CheckLine("web", True, t(lang, f"web port {where} free for the dashboard",
                                    f"cổng web {where} sẵn sàng cho trang theo dõi"))


def run(config_path: str | Path, *, as_json: bool = False, out: TextIO | None = None,
        environ: dict | None = None, clock: Callable[[], ClockReading] = read_clock,
        min_free_mb: int = MIN_FREE_MB, broker_timeout: float = 8.0) -> int:
    """Run every central check, print the report and return the exit code."""
    from . import config as central_config
    quiet_libraries()
    out = out or sys.stdout
    path = Path(config_path)
    cfg = load_for_check(central_config.load, path, environ, "web",
                         "culturehouse-central check", as_json, out)
    if cfg is None:
        return 2
    lang = cfg.web.language
    lines = [config_line(path, lang)]
    result = probe_broker(cfg.mqtt, cfg.mqtt.username, "culturehouse-central-check",
                          broker_timeout)
    line = broker_line(result, cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt.username,
                       str(path.with_suffix(".env")), lang)
    if result.status == "credentials":
        line = CheckLine("broker", False, line.what, t(
            lang, f"set CULTUREHOUSE_CENTRAL_MQTT_PASSWORD in {path.with_suffix('.env')} to the "
                  f"password of user {cfg.mqtt.username} in mosquitto's password file "
                  "(docs/operations.md), then restart",
            f"đặt CULTUREHOUSE_CENTRAL_MQTT_PASSWORD trong {path.with_suffix('.env')} bằng mật "
            f"khẩu của tài khoản {cfg.mqtt.username} trong tệp mật khẩu mosquitto "
            "(docs/operations.md), rồi khởi động lại"))
    lines.append(line)
    database = Path(cfg.storage.database)
    lines.append(check_database(database, lang))
    lines.append(check_web_port(cfg.web.host, cfg.web.port, lang))
    lines.append(check_disk("disk", database.parent, lang, min_free_mb))
    lines.append(assess_clock(clock(), lang))
    out.write(render_json({"config": str(path)}, lines) if as_json else
              render_text("culturehouse-central check", lines, lang))
    return exit_code(lines)
