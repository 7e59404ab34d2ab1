"""The MQTT contract module: what goes on the wire and what central accepts."""
import json

import pytest

import protocol as c

TOPICS = c.Topics()
BOOT = "b" * 32


def telemetry(**metrics):
    return c.Telemetry("house-01", BOOT, 7, 1_764_043_200_000, metrics)


def test_topics_are_built_under_the_root():
    t = c.Topics("culturehouse/v1")
    assert t.status("house-01") == "culturehouse/v1/house-01/status"
    assert t.cmd("house-01", "ping") == "culturehouse/v1/house-01/cmd/ping"
    assert t.central_status() == "culturehouse/v1/central/status"


@pytest.mark.parametrize("topic,parsed", [
    ("culturehouse/v1/house-01/telemetry", ("house-01", "telemetry", None)),
    ("culturehouse/v1/house-01/cmd/help_ack", ("house-01", "cmd", "help_ack")),
    ("culturehouse/v1/central/status", ("central", "status", None)),
])
def test_topics_parse_back(topic, parsed):
    assert TOPICS.parse(topic) == parsed


@pytest.mark.parametrize("topic", ["other/house-01/telemetry", "culturehouse/v1/House_1/telemetry",
                                   "culturehouse/v1/house-01/secrets",
                                   "culturehouse/v1/house-01/cmd/../x"])
def test_foreign_topics_are_refused(topic):
    with pytest.raises(c.PayloadError):
        TOPICS.parse(topic)


def test_telemetry_round_trips():
    raw = c.build_telemetry(telemetry(**{"print.pages.total": 3, "print.state": "idle",
                                         "print.reasons": ["media-empty"]}))
    back = c.parse_telemetry(raw, "house-01")
    assert back.seq == 7 and back.metrics["print.reasons"] == ["media-empty"]


def test_unsynchronised_clock_is_flagged_with_monotonic_time():
    raw = c.build_telemetry(c.Telemetry("house-01", BOOT, 1, 5000, {"a": 1}, tq="none", mono=5000))
    obj = json.loads(raw)
    assert obj["tq"] == "none" and obj["mono"] == 5000
    assert c.parse_telemetry(raw).tq == "none"


def test_a_mac_address_never_gets_into_a_payload():
    with pytest.raises(c.PayloadError) as err:
        c.build_event(c.Event("house-01", BOOT, 1, 0, "wifi.seen", {"who": "6A:3F:91:0C:7D:12"}))
    assert err.value.reason == "privacy"


def test_a_mac_address_in_a_metric_list_is_refused_too():
    with pytest.raises(c.PayloadError, match="privacy"):
        c.build_telemetry(telemetry(**{"wifi.macs": ["6a-3f-91-0c-7d-12"]}))


def test_payload_house_must_match_the_topic():
    raw = c.build_telemetry(telemetry(a=1))
    with pytest.raises(c.PayloadError) as err:
        c.parse_telemetry(raw, "house-02")
    assert err.value.reason == "house_mismatch"


@pytest.mark.parametrize("raw,reason", [
    (b"\xff\xfe", "bad_json"),
    (b"[1,2]", "bad_schema"),
    (b'{"v":2,"house":"house-01"}', "bad_version"),
    (b'{"v":1,"house":"house-01","boot":"b","seq":"1","ts":0,"metrics":{}}', "bad_schema"),
    (b'{"v":1,"house":"house-01","boot":"b","seq":true,"ts":0,"metrics":{}}', "bad_schema"),
    (b'{"v":1,"house":"house-01","boot":"b","seq":1,"ts":0,"metrics":{"Bad Name":1}}', "bad_metric"),
    (b'{"v":1,"house":"house-01","boot":"b","seq":1,"ts":0,"metrics":{"a":{"b":1}}}', "bad_value"),
    (b'{"v":1,"house":"house-01","boot":"b","seq":1,"ts":0,"metrics":{"a":NaN}}', "bad_value"),
    (b"[" * 100000, "too_large"),
])
def test_bad_telemetry_is_refused_with_a_reason(raw, reason):
    with pytest.raises(c.PayloadError) as err:
        c.parse_telemetry(raw, "house-01")
    assert err.value.reason == reason


def test_deeply_nested_event_data_is_refused():
    data = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    raw = json.dumps({"v": 1, "house": "house-01", "boot": "b", "seq": 1, "ts": 0,
                      "type": "x.y", "data": data}).encode()
    with pytest.raises(c.PayloadError, match="nested too deeply"):
        c.parse_event(raw)


def test_central_is_not_a_house_id():
    assert not c.is_house_id("central")
    assert c.is_house_id("house-01")


def test_commands_carry_expiry_and_arguments():
    raw = c.build_command(c.Command("press", "r1", 123, {"button": "print"}))
    cmd = c.parse_command("press", raw)
    assert (cmd.req_id, cmd.expires_at, cmd.args) == ("r1", 123, {"button": "print"})


def test_a_print_status_answer_with_its_jobs_round_trips():
    detail = {"state": "idle", "reasons": [], "jobs": [
        {"id": 12, "state": "held", "pages": None, "age_s": 30, "origin": "lan"}]}
    raw = c.build_cmd_result(c.CommandResult("r1", "print_status", True, detail))
    assert c.parse_cmd_result(raw).detail == detail


def test_a_command_result_nested_deeper_than_event_data_is_refused():
    detail = {"a": {"b": {"c": {"d": 1}}}}
    with pytest.raises(c.PayloadError, match="nested too deeply"):
        c.build_cmd_result(c.CommandResult("r1", "ping", True, detail))


def test_ack_and_central_status_round_trip():
    assert c.parse_ack(c.build_ack(c.Ack(42))).seq == 42
    status = c.parse_central_status(c.build_central_status(c.CentralStatus(True, 1, 2.5)))
    assert status.max_backlog_rate == 2.5
