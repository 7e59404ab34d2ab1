"""Pure decisions of the telemetry path: batches, pacing, backoff, clock quality, commands."""
from __future__ import annotations

import json
import random
import zlib

import pytest

import protocol
from common.clock import PLAUSIBLE_AFTER_MS, ClockReading, SystemClock, clock_quality, read_clock
from edge.commands import CommandBook
from edge.feature import CommandOutcome, Feature, Now
from common.mqtt_link import backoff_delay, first_delay
from edge.publisher import TokenBucket

BOOT = "3c75032514c74c58a7f848719086ec3c"


def rows(n: int, start: int = 1) -> list:
    return [protocol.Telemetry("house-01", BOOT, s, 1_764_000_000_000 + s, {"a.total": s})
            for s in range(start, start + n)]


def test_a_history_batch_round_trips_through_zlib():
    batch = rows(59) + [protocol.Event("house-01", BOOT, 60, 1, "help.requested", {"k": 1})]
    parsed = protocol.parse_history(protocol.build_history("house-01", batch), "house-01")
    assert [m.seq for m in parsed] == list(range(1, 61))
    assert isinstance(parsed[-1], protocol.Event)


def test_a_history_batch_is_much_smaller_than_its_rows_sent_one_by_one():
    batch = rows(60)
    single = sum(len(protocol.build_telemetry(r)) for r in batch)
    assert len(protocol.build_history("house-01", batch)) * 4 < single


def test_a_history_batch_over_sixty_rows_is_refused():
    with pytest.raises(protocol.PayloadError):
        protocol.build_history("house-01", rows(61))


def test_a_zip_bomb_is_refused_as_too_large():
    raw = b'{"v":1,"house":"house-01","rows":[' + b" " * (4 * 1024 * 1024) + b"]}"
    with pytest.raises(protocol.PayloadError) as err:
        protocol.parse_history(zlib.compress(raw, 9), "house-01")
    assert err.value.reason == "too_large"


def test_a_history_batch_from_another_house_is_refused():
    with pytest.raises(protocol.PayloadError) as err:
        protocol.parse_history(protocol.build_history("house-02", rows(2)), "house-01")
    assert err.value.reason == "house_mismatch"


def test_a_roll_up_says_which_seqs_it_stands_for():
    t = protocol.Telemetry("house-01", BOOT, 10, 5, {"a": 1}, upto=24)
    assert protocol.parse_telemetry(protocol.build_telemetry(t), "house-01").upto == 24


def test_the_first_synchronised_row_carries_mono_as_an_anchor():
    t = protocol.Telemetry("house-01", BOOT, 10, 5, {"a": 1}, "ntp", 123)
    obj = json.loads(protocol.build_telemetry(t))
    assert obj["mono"] == 123 and "tq" not in obj


def test_the_token_bucket_never_lets_more_than_its_rate_through():
    bucket, sent = TokenBucket(5.0), 0
    for tick in range(1000):  # ten seconds in steps of 10 ms
        now = tick / 100
        if bucket.ready(now):
            bucket.take(now)
            sent += 1
    assert 49 <= sent <= 51


def test_backoff_doubles_up_to_the_ceiling_with_jitter():
    rng = random.Random(7)
    delays = [backoff_delay(n, 1, 300, rng) for n in range(1, 15)]
    assert all(0.5 <= d <= 1 for d in delays[:1])
    assert all(150 <= d <= 300 for d in delays[-3:])
    assert len({round(d, 3) for d in delays[-3:]}) == 3  # jittered, not lock-step


def test_first_connection_delays_spread_a_district_over_thirty_seconds():
    rng = random.Random(1)
    delays = [first_delay(300, rng) for _ in range(500)]
    assert max(delays) <= 30 and max(delays) > 25 and min(delays) < 5


@pytest.mark.parametrize("kernel,flag,expected", [
    (True, False, "ntp"), (False, True, "ntp"), (False, False, "none"), (None, False, "none")])
def test_clock_quality_follows_the_kernel_or_timesyncd(kernel, flag, expected):
    assert clock_quality(ClockReading(kernel, flag, PLAUSIBLE_AFTER_MS + 1)) == expected


def test_a_clock_in_1970_is_never_trusted_even_if_said_synchronised():
    assert clock_quality(ClockReading(True, True, 86_400_000)) == "none"


def test_the_clock_reading_takes_timesyncds_flag_file_and_the_wall_time(tmp_path):
    flag = tmp_path / "synchronized"
    assert read_clock(flag, 1_764_043_200.5).timesyncd_synced is False
    flag.touch()
    reading = read_clock(flag, 1_764_043_200.5)
    assert (reading.timesyncd_synced, reading.wall_ms) == (True, 1_764_043_200_500)


def test_the_agents_stamps_trust_timesyncds_flag_in_a_plausible_year(tmp_path):
    flag = tmp_path / "synchronized"
    flag.touch()
    clock = SystemClock(flag)
    assert clock.read(1_764_043_200.0) == "ntp"
    assert clock.read(86_400.0) == "none"


# ----- commands ---------------------------------------------------------------------------

class HelpDesk(Feature):
    name = "help"

    def __init__(self):
        self.acks = 0

    def on_command(self, name, args, now):
        if name == "help_ack":
            self.acks += 1
            return CommandOutcome(True, {"acknowledged": True})
        return None


def command(name: str, req_id: str = "r1", expires_at: int = 0, **args) -> bytes:
    return protocol.build_command(protocol.Command(name, req_id, expires_at, args))


NOW = Now(1_764_000_000.0, 100.0)


def run(book, name, payload, features=(), posted=None, resend=None):
    return book.handle(name, payload, NOW, list(features),
                       (posted if posted is not None else []).append, lambda: {"boot": BOOT},
                       resend=resend)


def test_a_repeated_req_id_is_answered_again_but_acted_on_once():
    book, desk = CommandBook(), HelpDesk()
    first = run(book, "help_ack", command("help_ack"), [desk])
    again = run(book, "help_ack", command("help_ack"), [desk])
    assert first == again and first.ok
    assert desk.acks == 1


def test_an_expired_command_is_refused_and_not_acted_on():
    book, desk = CommandBook(), HelpDesk()
    result = run(book, "help_ack", command("help_ack", expires_at=int(NOW.wall * 1000) - 1),
                 [desk])
    assert result.detail == {"error": "expired"} and desk.acks == 0


def test_an_unknown_command_gets_an_error_result():
    assert run(CommandBook(), "selfdestruct", command("selfdestruct")).detail == \
        {"error": "unknown_command"}


def test_a_feature_command_without_its_feature_says_not_available():
    assert run(CommandBook(), "release_job", command("release_job", job=3)).detail == \
        {"error": "not_available"}


def test_a_malformed_command_gets_an_error_result():
    result = run(CommandBook(), "ping", b"\x00\xffnot json")
    assert not result.ok and result.detail == {"error": "bad_json"}


@pytest.mark.parametrize("args", [{"from": 5}, {"from": 9, "to": 3}, {"from": "1", "to": 2},
                                  {"from": True, "to": 2}, {"from": 0, "to": 2}])
def test_resend_with_bad_arguments_is_refused(args):
    called = []
    result = run(CommandBook(), "resend", command("resend", **args),
                 resend=lambda a, b: called.append((a, b)) or {})
    assert result.detail["error"] == "bad_args" and called == []


def test_resend_passes_its_range_to_the_publisher():
    called = []
    result = run(CommandBook(), "resend", command("resend", **{"from": 4, "to": 9}),
                 resend=lambda a, b: called.append((a, b)) or {"rows": 6, "oldest": 4})
    assert result.ok and called == [(4, 9)]


@pytest.mark.parametrize("args", [{}, {"button": "eject"}, {"button": "print", "seconds": 99},
                                  {"button": "print", "seconds": "long"}])
def test_press_with_bad_arguments_is_refused_and_presses_nothing(args):
    posted = []
    result = run(CommandBook(), "press", command("press", **args), posted=posted)
    assert result.detail["error"] == "bad_args" and posted == []


def test_a_live_sample_is_plain_utf8_json_even_when_compressing_would_be_smaller():
    big = protocol.Telemetry("house-01", BOOT, 5, 1, {f"m.n{i}.total": i for i in range(30)},
                             full=True)
    plain = protocol.build_telemetry(big)
    assert json.loads(plain.decode("utf-8"))["metrics"]["m.n29.total"] == 29
    assert json.loads(plain)["full"] is True
    assert protocol.parse_telemetry(plain, "house-01") == big


def test_a_compressed_live_sample_from_an_older_edge_still_parses_during_an_upgrade():
    big = protocol.Telemetry("house-01", BOOT, 5, 1, {f"m.n{i}.total": i for i in range(30)})
    plain = protocol.build_telemetry(big)
    packed = zlib.compress(plain, 9)
    assert protocol.parse_telemetry(packed, "house-01") == protocol.parse_telemetry(plain) == big
