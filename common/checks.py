"""Shared pieces of `culturehouse-edge check` and `culturehouse-central check`.

Check lines (✔/✘/– with the fix to try) and their rendering in Vietnamese or English,
config loading for a check run, the probes both sides need (broker, disk), and the clock
line, judged from common/clock.py's reading (the one the agent stamps its rows from).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import ssl
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .clock import IMPLAUSIBLE, UNKNOWN, UNSYNCHRONISED, ClockReading, clock_state

MIN_FREE_MB = 200  # an outbox, a day of scans and the journal fit comfortably


@dataclass(frozen=True)
class CheckLine:
    """One line of the report; ok is None when the thing was not (or could not be) checked."""

    key: str
    ok: bool | None
    what: str
    fix: str = ""
    details: tuple[str, ...] = ()


def t(lang: str, en: str, vi: str) -> str:
    return vi if lang == "vi" else en


# ----- rendering (pure) ----------------------------------------------------------------------

MARK = {True: "✔", False: "✘", None: "–"}
STATUS = {True: "ok", False: "fail", None: "not_checked"}


def exit_code(lines: list[CheckLine]) -> int:
    return 1 if any(line.ok is False for line in lines) else 0


def render_text(title: str, lines: list[CheckLine], lang: str) -> str:
    out = [title, ""]
    for line in lines:
        out.append(f"{MARK[line.ok]} {line.what}")
        out.extend(f"    {d}" for d in line.details)
        if line.fix and line.ok is not True:
            out.append(f"    → {t(lang, 'try', 'cách sửa')}: {line.fix}")
    failed = sum(line.ok is False for line in lines)
    out.append("")
    out.append(t(lang, f"{failed} problem(s) to fix." if failed else "All checks passed.",
                 f"Có {failed} lỗi cần sửa." if failed else "Mọi thứ đều ổn."))
    return "\n".join(out) + "\n"


def render_json(subject: dict, lines: list[CheckLine]) -> str:
    return json.dumps({**subject, "ok": exit_code(lines) == 0, "checks": [
        {"check": line.key, "status": STATUS[line.ok], "what": line.what, "fix": line.fix,
         "details": list(line.details)} for line in lines]}, ensure_ascii=False, indent=2) + "\n"


# ----- config and secrets ---------------------------------------------------------------------

def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them; missing/unreadable = {}."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def check_environ(config_path: Path, environ: dict | None) -> dict:
    """Secrets as the service sees them: the sibling .env file, then this shell's env."""
    base = read_env_file(config_path.with_suffix(".env"))
    return {**base, **(os.environ if environ is None else environ)}


def guess_language(config_path: Path, section: str, default: str = "vi") -> str:
    """The report language even when the config is broken: read just that one key."""
    try:
        table = tomllib.loads(config_path.read_text())
        lang = table.get(section, {}).get("language", default)
    except (OSError, ValueError, AttributeError):
        return default
    return lang if lang in ("vi", "en") else default


def config_failure(path: Path, problems: list[str], lang: str) -> CheckLine:
    return CheckLine("config", False, t(lang, f"config {path} has {len(problems)} problem(s)",
                                        f"cấu hình {path} có {len(problems)} lỗi"),
                     t(lang, f"edit {path}; every key is explained in edge.example.toml",
                       f"sửa {path}; mọi khóa được giải thích trong edge.example.toml"),
                     tuple(problems))


# ----- broker -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BrokerResult:
    status: str  # "ok", "credentials", "refused", "unreachable", "tls", "timeout"
    detail: str = ""


def probe_broker(mqtt_cfg, username: str, client_id: str, timeout: float = 8.0) -> BrokerResult:
    """Connect once with paho (clean session, no will) and classify the CONNACK or error."""
    import paho.mqtt.client as mqtt
    from .mqtt_link import build_client
    client = build_client(client_id, username, mqtt_cfg.password, tls=mqtt_cfg.tls,
                          ca_file=mqtt_cfg.ca_file, clean_session=True)
    client.connect_timeout = timeout
    answer: dict = {}
    client.on_connect = lambda c, u, flags, rc, props: answer.setdefault("rc", rc)
    try:
        client.connect(mqtt_cfg.host, mqtt_cfg.port, keepalive=int(mqtt_cfg.keepalive))
        deadline = time.monotonic() + timeout
        while "rc" not in answer and time.monotonic() < deadline:
            if client.loop(timeout=0.2) not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                break
    except socket.gaierror as exc:
        return BrokerResult("unreachable", f"host name not found: {exc.strerror}")
    except ssl.SSLError as exc:
        return BrokerResult("tls", exc.reason or str(exc))
    except (OSError, ValueError) as exc:
        return BrokerResult("unreachable", getattr(exc, "strerror", None) or str(exc))
    finally:
        try:
            client.disconnect()
            client.socket() and client.socket().close()
        except (OSError, ValueError):
            pass
    rc = answer.get("rc")
    if rc is None:
        return BrokerResult("timeout", f"no CONNACK within {timeout:g}s")
    if not rc.is_failure:
        return BrokerResult("ok")
    if rc.getName() in ("Bad user name or password", "Not authorized"):
        return BrokerResult("credentials", rc.getName())
    return BrokerResult("refused", rc.getName())


def broker_line(result: BrokerResult, host: str, port: int, user: str, env_file: str,
                lang: str) -> CheckLine:
    where = f"{host}:{port}"
    if result.status == "ok":
        return CheckLine("broker", True, t(lang, f"broker {where} reachable, user {user} accepted",
                                           f"máy chủ MQTT {where} kết nối được, "
                                           f"tài khoản {user} được chấp nhận"))
    if result.status == "credentials":
        return CheckLine("broker", False, t(
            lang, f"broker {where} refused user {user} ({result.detail}): wrong password "
                  "or unknown user",
            f"máy chủ MQTT {where} từ chối tài khoản {user} ({result.detail}): sai mật khẩu "
            "hoặc chưa có tài khoản"), t(
            lang, f"put CULTUREHOUSE_MQTT_PASSWORD=… from `culturehouse-central add-house "
                  f"{user}` into {env_file} (run this check with sudo so it can read it), "
                  "then restart the service",
            f"ghi CULTUREHOUSE_MQTT_PASSWORD=… (lấy từ `culturehouse-central add-house {user}`) "
            f"vào {env_file} (chạy kiểm tra bằng sudo để đọc được tệp này), rồi khởi động "
            "lại dịch vụ"))
    if result.status == "tls":
        return CheckLine("broker", False, t(lang, f"TLS with broker {where} failed ({result.detail})",
                                            f"TLS với máy chủ MQTT {where} lỗi ({result.detail})"),
                         t(lang, "check mqtt.ca_file and that the clock is right",
                           "kiểm tra mqtt.ca_file và đồng hồ của máy"))
    return CheckLine("broker", False, t(
        lang, f"broker {where} unreachable ({result.detail})",
        f"không kết nối được máy chủ MQTT {where} ({result.detail})"), t(
        lang, "check the network cable or Wi-Fi, mqtt.host and mqtt.port; on central: "
              "systemctl status mosquitto",
        "kiểm tra dây mạng hoặc Wi-Fi, mqtt.host và mqtt.port; trên máy chủ trung tâm: "
        "systemctl status mosquitto"))


# ----- disk and clock (shared with central) --------------------------------------------------

def check_disk(key: str, directory: Path, lang: str, min_free_mb: int = MIN_FREE_MB) -> CheckLine:
    """Free space where the data lives, and that it can be written (or created) there."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "not a directory")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".check-"):
            pass
    except OSError as exc:
        return CheckLine(key, False, t(lang, f"{directory} cannot be written ({exc.strerror})",
                                       f"không ghi được vào {directory} ({exc.strerror})"),
                         t(lang, f"run `sudo ./install.sh` again, it creates {directory} for "
                                 "the service user", f"chạy lại `sudo ./install.sh`, lệnh này "
                                                     f"tạo {directory} cho dịch vụ"))
    free_mb = shutil.disk_usage(existing).free // 2**20
    if free_mb < min_free_mb:
        return CheckLine(key, False, t(lang, f"only {free_mb} MB free for {directory}",
                                       f"chỉ còn {free_mb} MB trống cho {directory}"),
                         t(lang, "delete old files, `journalctl --vacuum-size=50M`, or use a "
                                 "bigger SD card",
                           "xóa tệp cũ, chạy `journalctl --vacuum-size=50M`, hoặc dùng thẻ "
                           "nhớ lớn hơn"))
    return CheckLine(key, True, t(lang, f"disk: {free_mb} MB free for {directory}",
                                  f"ổ đĩa: còn {free_mb} MB trống cho {directory}"))


def assess_clock(reading: ClockReading, lang: str) -> CheckLine:
    """The check line for the one clock reading the agent stamps its rows from."""
    state = clock_state(reading)
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(reading.wall_ms / 1000))
    fix = t(lang, "connect the network; `timedatectl set-ntp true`; "
                  "`systemctl status systemd-timesyncd`",
            "kết nối mạng; chạy `timedatectl set-ntp true`; xem "
            "`systemctl status systemd-timesyncd`")
    if state == IMPLAUSIBLE:
        return CheckLine("clock", False, t(lang, f"clock is wrong ({stamp})",
                                           f"đồng hồ sai ({stamp})"), fix)
    if state == UNKNOWN:
        return CheckLine("clock", None, t(lang, f"clock sync state unknown ({stamp})",
                                          f"không rõ đồng hồ đã đồng bộ chưa ({stamp})"), fix)
    if state == UNSYNCHRONISED:
        return CheckLine("clock", False, t(lang, f"clock not synchronised ({stamp})",
                                           f"đồng hồ chưa được đồng bộ ({stamp})"), fix)
    return CheckLine("clock", True, t(lang, f"clock synchronised ({stamp})",
                                      f"đồng hồ đã đồng bộ ({stamp})"))


# ----- the edge report ------------------------------------------------------------------------

def quiet_libraries() -> None:
    """The report is the output: libraries' INFO chatter would only hide it (-v keeps DEBUG)."""
    root = logging.getLogger()
    if root.level == logging.INFO:
        root.setLevel(logging.WARNING)


def load_for_check(load, path: Path, environ: dict | None, section: str, title: str,
                   as_json: bool, out: TextIO):
    """Load a config for a check run, or print the failing config line and return None."""
    from .settings import ConfigError
    try:
        return load(path, environ=check_environ(path, environ))
    except ConfigError as exc:
        lang = guess_language(path, section)
        line = config_failure(path, exc.problems, lang)
        out.write(render_json({"config": str(path)}, [line]) if as_json else
                  render_text(title, [line], lang))
        return None


def config_line(path: Path, lang: str) -> CheckLine:
    return CheckLine("config", True, t(lang, f"config valid: {path}", f"cấu hình hợp lệ: {path}"))
