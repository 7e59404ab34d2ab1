"""What `check` says about phone printing, from the sharing state read from CUPS (pure)."""
import pytest

from edge.printing.phone import Sharing, advertised, avahi_running, check_lines, parse_sharing

SHARED = {"printer-is-shared": True, "job-hold-until-default": "indefinite"}
SERVER_SHARES = {"_share_printers": "1", "BrowseLocalProtocols": "dnssd"}


def lan_line(share_on_lan: bool, sharing: Sharing):
    return {line.key: line for line in check_lines(share_on_lan, sharing, "house")}["printer.lan"]


def test_a_shared_queue_on_a_sharing_cupsd_with_avahi_is_found_by_phones():
    sharing = parse_sharing(SHARED, SERVER_SHARES, dnssd=True)
    assert advertised(sharing)
    assert lan_line(True, sharing).ok is True


@pytest.mark.parametrize("attrs, settings, dnssd, fix", [
    ({**SHARED, "printer-is-shared": False}, SERVER_SHARES, True,
     "check.printer.lan.queue_unshared.fix"),
    (SHARED, {"_share_printers": "0"}, True, "check.printer.lan.server_off.fix"),
    (SHARED, {"_share_printers": "1", "BrowseLocalProtocols": "none"}, True,
     "check.printer.lan.server_off.fix"),
    (SHARED, SERVER_SHARES, False, "check.printer.lan.no_avahi.fix"),
])
def test_phone_printing_fails_the_check_with_the_step_that_is_missing(attrs, settings, dnssd,
                                                                       fix):
    line = lan_line(True, parse_sharing(attrs, settings, dnssd))
    assert line.ok is False
    assert line.fix.key == fix


def test_unreadable_cupsd_settings_leave_the_answer_open_and_ask_for_sudo():
    line = lan_line(True, parse_sharing(SHARED, None, dnssd=True))
    assert line.ok is None
    assert line.fix.key == "check.printer.lan.unknown.fix"


def test_with_phone_printing_off_the_check_only_informs():
    assert lan_line(False, parse_sharing(SHARED, SERVER_SHARES, True)).what.key == \
        "check.printer.lan.off_shared"
    assert lan_line(False, parse_sharing(SHARED, {"_share_printers": "0"}, True)).ok is None


def test_a_queue_that_prints_at_once_fails_the_hold_line():
    lines = check_lines(False, parse_sharing({**SHARED, "job-hold-until-default": "no-hold"},
                                             SERVER_SHARES, True), "house")
    hold = {line.key: line for line in lines}["printer.hold"]
    assert hold.ok is False
    assert hold.fix.params == {"queue": "house"}


def test_a_missing_queue_gives_no_phone_lines():
    assert check_lines(True, parse_sharing(None, None, True), "house") == []


def test_avahi_counts_as_running_only_with_a_live_pid(tmp_path):
    pid_file = tmp_path / "pid"
    assert not avahi_running(pid_file)
    pid_file.write_text("999999999\n")
    assert not avahi_running(pid_file)
    import os
    pid_file.write_text(f"{os.getpid()}\n")
    assert avahi_running(pid_file)
