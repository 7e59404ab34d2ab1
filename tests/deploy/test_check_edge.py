"""`culturehouse-edge check` against a real mosquitto, cupsd and the SANE test backend."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from edge import check
from common.checks import assess_clock, check_line
from common.clock import ClockReading, clock_quality
from common.i18n import text
from edge.feature import Feature
from edge.registry import FEATURES
from harness.mosquitto import MosquittoBroker
from harness.procs import free_port

SYNCED = lambda: ClockReading(True, False, 1_764_043_200_000)  # noqa: E731  (kernel says synced)
PANEL = {"pin_factory": "mock", "print_button": 17, "green_light": 5, "buzzer": 26}


def set_language(path, lang: str):
    """The harness writes [house] with the id only; add the report language to it."""
    text = path.read_text()
    path.write_text(text.replace("[house]\n", f'[house]\nlanguage = "{lang}"\n', 1))
    return path


@pytest.fixture
def house(edge_config):
    """Write a config for house-01 against the `broker` fixture, report in English."""
    return lambda lang="en", **sections: set_language(edge_config(**sections), lang)


def run_check(path, **kw):
    """(exit code, {check key: line}, text) of an in-process check run."""
    out = io.StringIO()
    kw.setdefault("environ", {})
    kw.setdefault("clock", SYNCED)
    code = check.run(path, as_json=True, out=out, **kw)
    report = json.loads(out.getvalue())
    return code, {c["check"]: c for c in report["checks"]}, report


@pytest.fixture
def printer_queue(cups_server):
    name = f"house{free_port()}"
    cups_server.add_null_queue(name, hold=True)
    return name


def test_healthy_house_is_all_ticks_and_exit_zero(house, cups_server, printer_queue):
    path = house(panel=PANEL, printer={"enabled": True, "queue": printer_queue,
                                             "server": cups_server.server})
    code, lines, report = run_check(path)
    assert [(c["check"], c["what"]) for c in report["checks"] if c["status"] == "fail"] == []
    assert lines["broker"]["status"] == "ok"
    assert lines["printer.queue"]["status"] == "ok"
    assert printer_queue in lines["printer.queue"]["what"]
    assert lines["gpio"]["status"] == "ok" and lines["disk"]["status"] == "ok"
    assert code == 0 and report["ok"] is True


def test_broker_down_is_a_cross_saying_unreachable(house, broker):
    path = house()
    broker.stop()
    code, lines, _ = run_check(path)
    assert lines["broker"]["status"] == "fail"
    assert "unreachable" in lines["broker"]["what"] and "mqtt.host" in lines["broker"]["fix"]
    assert code == 1


@pytest.fixture
def password_broker(tmp_path):
    pwfile = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(pwfile), "house-01", "right"],
                   check=True, capture_output=True, timeout=30)
    pwfile.chmod(0o600)
    with MosquittoBroker(tmp_path / "secure",
                         extra_conf=f"allow_anonymous false\npassword_file {pwfile}") as b:
        yield b


def test_wrong_password_is_a_cross_about_credentials_not_the_network(tmp_path, password_broker):
    path = write_house(tmp_path, password_broker.port)
    code, lines, _ = run_check(path, environ={"CULTUREHOUSE_MQTT_PASSWORD": "wrong"})
    assert lines["broker"]["status"] == "fail"
    assert "refused user house-01" in lines["broker"]["what"]
    assert "CULTUREHOUSE_MQTT_PASSWORD" in lines["broker"]["fix"]
    assert code == 1


def test_password_is_read_from_the_env_file_next_to_the_config(tmp_path, password_broker):
    path = write_house(tmp_path, password_broker.port)
    path.with_suffix(".env").write_text("# secrets\nCULTUREHOUSE_MQTT_PASSWORD=\"right\"\n")
    code, lines, _ = run_check(path)
    assert lines["broker"]["status"] == "ok" and code == 0


def write_house(tmp_path, port):
    from harness.edgeproc import write_edge_config
    return set_language(write_edge_config(tmp_path / "edge.toml", "house-01", port,
                                          tmp_path / "state"), "en")


def test_a_paused_printer_queue_is_a_cross_with_its_state(house, cups_server, printer_queue):
    import subprocess
    subprocess.run(["cupsdisable", printer_queue], env=cups_server.env, check=True, timeout=30)
    path = house(printer={"enabled": True, "queue": printer_queue, "server": cups_server.server})
    code, lines, _ = run_check(path)
    queue = lines["printer.queue"]
    assert queue["status"] == "fail" and "stopped" in queue["what"].lower()
    assert "cupsenable" in queue["fix"] and code == 1


def test_missing_printer_queue_is_a_cross_naming_the_queue(house, cups_server):
    path = house(printer={"enabled": True, "queue": "no-such-queue",
                                "server": cups_server.server})
    code, lines, _ = run_check(path)
    queue = lines["printer.queue"]
    assert queue["status"] == "fail"
    assert "no-such-queue" in queue["what"] and "lpadmin" in queue["fix"]
    assert code == 1


def test_scanner_lines_come_from_the_scan_features_own_check(house):
    path = house(scanner={"enabled": True, "web": {"enabled": False}})
    _, lines, _ = run_check(path)
    scanner = [v for k, v in lines.items() if k.startswith("scanner.")]
    assert scanner and any("scanner" in line["what"] for line in scanner)
    assert "scanner" not in lines  # neither "not enabled" nor "cannot be set up"


def test_the_test_backend_scanner_is_found_and_its_presets_supported(house):
    path = house(scanner={"enabled": True, "web": {"enabled": False}})
    _, lines, _ = run_check(path)
    assert lines["scanner.device"]["status"] == "ok"
    assert lines["scanner.device"]["what"].startswith("scanner found")
    assert lines["scanner.preset.default"]["status"] == "ok"
    assert lines["scanner.preset.id_card"]["status"] == "ok"


def test_a_preset_the_scanner_cannot_do_is_a_cross(house):
    path = house(scanner={"enabled": True, "web": {"enabled": False},
                          "presets": {"default": {"options": {"lamp-off-time": "5"}}}})
    code, lines, _ = run_check(path)
    preset = lines["scanner.preset.default"]
    assert preset["status"] == "fail" and "[scanner.presets]" in preset["fix"]
    assert any("lamp-off-time" in detail for detail in preset["details"]) and code == 1


class Reporting(Feature):
    def __init__(self, lines):
        self.lines = lines

    def check(self):
        return self.lines


def built_by(**builders):
    """The registry with some features' builders replaced (name=build(cfg, ctx))."""
    return {name: entry._replace(build=builders[name]) if name in builders else entry
            for name, entry in FEATURES.items()}


def test_feature_lines_keep_their_verdict_and_fix(house):
    path = house(wifi={"enabled": True})
    found = [check_line("wifi.iw", False, "check.wifi.iw.missing", "check.wifi.iw.fix",
                        command="iw"),
             check_line("wifi.state", True, "check.wifi.state.writable", folder="/tmp")]
    code, lines, _ = run_check(path, features=built_by(wifi=lambda cfg, ctx: Reporting(found)))
    assert (lines["wifi.iw"]["status"], lines["wifi.iw"]["fix"]) == ("fail", "apt install iw")
    assert lines["wifi.state"]["status"] == "ok"
    assert code == 1


def test_a_feature_without_a_self_check_is_not_checked_rather_than_ticked(house):
    path = house(wifi={"enabled": True})
    code, lines, _ = run_check(path, features=built_by(wifi=lambda cfg, ctx: Reporting([])))
    assert lines["wifi"]["status"] == "not_checked" and code == 0


def test_a_feature_that_cannot_be_built_is_a_cross(house):
    def broken(cfg, ctx):
        raise ImportError("No module named 'sane'")
    path = house(scanner={"enabled": True})
    code, lines, _ = run_check(path, features=built_by(scanning=broken))
    assert lines["scanner"]["status"] == "fail" and "sane" in lines["scanner"]["what"]
    assert code == 1


def test_only_the_enabled_features_are_built_each_once_in_the_registrys_order(house):
    seen = []
    path = house(wifi={"enabled": True}, scanner={"enabled": True})

    def builder(name):
        def build(cfg, ctx):
            seen.append(name)
            return Reporting([check_line("wifi.state", True, "check.wifi.state.writable",
                                         folder="/tmp")])
        return build
    run_check(path, features=built_by(**{name: builder(name) for name in FEATURES}))
    assert seen == ["scanning", "wifi"]


def test_disabled_features_are_listed_as_not_enabled(house):
    _, lines, _ = run_check(house())
    assert {lines[k]["status"] for k in ("printer", "scanner", "wifi")} == {"not_checked"}


def test_a_pin_already_in_use_is_a_cross_naming_it(house, mock_pins):
    from gpiozero import LED
    held = LED(5, pin_factory=mock_pins)
    try:
        code, lines, report = run_check(house(panel=PANEL), pin_factory=mock_pins)
    finally:
        held.close()
    gpio = [c for c in report["checks"] if c["check"] == "gpio"]
    assert [c["status"] for c in gpio] == ["fail"] and "GPIO5 (green_light)" in gpio[0]["what"]
    assert code == 1


def test_no_panel_pins_is_reported_not_ticked(house):
    _, lines, _ = run_check(house())
    assert lines["gpio"]["status"] == "not_checked"


def test_low_disk_space_is_a_cross(house):
    _, lines, _ = run_check(house(), min_free_mb=10**9)
    assert lines["disk"]["status"] == "fail" and "MB free" in lines["disk"]["what"]


def test_unusable_state_dir_is_a_cross_pointing_at_the_installer(house, tmp_path):
    (tmp_path / "a-file").write_text("")
    path = house(storage={"state_dir": str(tmp_path / "a-file" / "state")})
    _, lines, _ = run_check(path)
    assert lines["disk"]["status"] == "fail" and "install.sh" in lines["disk"]["fix"]


def test_state_dir_not_yet_created_is_fine_when_it_can_be(house, tmp_path):
    path = house(storage={"state_dir": str(tmp_path / "new" / "state")})
    _, lines, _ = run_check(path)
    assert lines["disk"]["status"] == "ok"


def test_unsynchronised_clock_is_a_cross():
    line = assess_clock(ClockReading(False, False, 1_764_043_200_000))
    assert line.ok is False and "timedatectl" in text("en", line.fix)


def test_clock_stuck_in_1970_is_a_cross_even_if_the_kernel_says_synced():
    assert assess_clock(ClockReading(True, True, 3_600_000)).ok is False


def test_synchronised_clock_is_a_tick():
    assert assess_clock(ClockReading(True, False, 1_764_043_200_000)).ok is True


def test_timesyncd_alone_saying_synchronised_is_a_tick():
    assert assess_clock(ClockReading(False, True, 1_764_043_200_000)).ok is True


def test_a_clock_no_source_can_vouch_for_is_not_checked():
    line = assess_clock(ClockReading(None, False, 1_764_043_200_000))
    assert line.ok is None and "unknown" in text("en", line.what)


@pytest.mark.parametrize("kernel", [True, False, None])
@pytest.mark.parametrize("flag", [True, False])
@pytest.mark.parametrize("wall_ms", [3_600_000, 1_764_043_200_000])
def test_check_says_synchronised_exactly_when_the_agent_stamps_ntp(kernel, flag, wall_ms):
    reading = ClockReading(kernel, flag, wall_ms)
    assert (assess_clock(reading).ok is True) == (clock_quality(reading) == "ntp")


def test_invalid_config_lists_every_problem_and_exits_2(tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text('[house]\nid = "Bad Id"\nlanguage = "en"\n[mqtt]\nport = 0\n')
    code, lines, _ = run_check(path)
    assert code == 2 and lines["config"]["status"] == "fail"
    assert any(d.startswith("house.id") for d in lines["config"]["details"])
    assert any(d.startswith("mqtt.port") for d in lines["config"]["details"])


def test_report_is_in_vietnamese_by_default(edge_config):
    out = io.StringIO()
    check.run(edge_config(), out=out, environ={}, clock=SYNCED)
    assert "cấu hình hợp lệ" in out.getvalue() and "máy chủ MQTT" in out.getvalue()


def test_report_is_in_english_when_the_house_says_so(house):
    out = io.StringIO()
    check.run(house(), out=out, environ={}, clock=SYNCED)
    assert "config valid" in out.getvalue() and "broker" in out.getvalue()


# Letters only Vietnamese writes (its vowels with their marks, and đ); no English word has one.
VIETNAMESE = set("ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def report_sentences(path, mock_pins, **kw) -> list[str]:
    """Every line of the text report the catalogue wrote: marks, fixes and the summary."""
    out = io.StringIO()
    check.run(path, out=out, environ={}, clock=SYNCED, pin_factory=mock_pins, **kw)
    lines = out.getvalue().splitlines()[1:]  # the title is the house id
    return [line for line in lines if line.strip() and
            (not line.startswith("    ") or line.lstrip().startswith("→"))]


@pytest.fixture
def busy_house(house, cups_server, printer_queue):
    """A house with every feature and its checks' ticks, crosses and fixes all on screen."""
    def make(lang):
        return house(lang, panel=PANEL, scanner={"enabled": True, "web": {"enabled": False}},
                     printer={"enabled": True, "queue": printer_queue,
                              "server": cups_server.server},
                     wifi={"enabled": True, "sources": ["hostapd", "iw", "openwrt"]})
    return make


def test_a_vietnamese_report_has_no_english_line(busy_house, mock_pins):
    sentences = report_sentences(busy_house("vi"), mock_pins, min_free_mb=10**9)
    assert len(sentences) > 12 and any(s.startswith("✘") for s in sentences)
    assert [s for s in sentences if not VIETNAMESE & set(s.lower())] == []


def test_an_english_report_has_no_vietnamese_line(busy_house, mock_pins):
    sentences = report_sentences(busy_house("en"), mock_pins, min_free_mb=10**9)
    assert len(sentences) > 12 and any(s.startswith("✘") for s in sentences)
    assert [s for s in sentences if VIETNAMESE & set(s.lower())] == []


def test_the_json_report_speaks_the_house_language_too(busy_house, mock_pins):
    _, vi, _ = run_check(busy_house("vi"), pin_factory=mock_pins)
    assert vi["scanner.device"]["what"].startswith("đã tìm thấy máy quét")
    assert vi["printer.queue"]["what"].startswith("hàng chờ in CUPS")


def test_every_failed_line_shows_the_fix_to_try(house, broker):
    path = house()
    broker.stop()
    out = io.StringIO()
    check.run(path, out=out, environ={}, clock=SYNCED)
    text = out.getvalue().splitlines()
    cross = next(i for i, line in enumerate(text) if line.startswith("✘"))
    assert text[cross + 1].strip().startswith("→ try:")


def test_command_line_json_and_exit_code(house, broker):
    path = house()
    ok = subprocess.run([sys.executable, "-m", "edge", "check", "--config", str(path), "--json"],
                        capture_output=True, text=True, timeout=60)
    report = json.loads(ok.stdout)
    assert report["house"] == "house-01"
    broker.stop()
    down = subprocess.run([sys.executable, "-m", "edge", "check", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and "✘" in down.stdout
