"""The contract bounds every value that crosses the wire, and hides every MAC spelling.

Whatever a house sends, parsing either returns bounded values or raises PayloadError with
a stable reason: never another exception, and never a number a later step cannot hold.
"""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocol as c

HOUSE = "house-01"
ROW = {"v": 1, "house": HOUSE, "boot": "b" * 32, "seq": 5, "ts": 1_764_043_200_000}
HUGE = [2**63, 2**64, -1, 10**17, c.MAX_INT + 1]


def payload(**fields) -> bytes:
    return json.dumps({**ROW, **fields}).encode()


@pytest.mark.parametrize("field", ["seq", "ts", "mono", "upto"])
@pytest.mark.parametrize("value", HUGE)
def test_telemetry_numbers_out_of_range_are_refused(field, value):
    with pytest.raises(c.PayloadError) as err:
        c.parse_telemetry(payload(metrics={}, **{field: value}))
    assert err.value.reason == "out_of_range"


@pytest.mark.parametrize("value", HUGE)
def test_a_status_oldest_out_of_range_is_refused(value):
    raw = json.dumps({"v": 1, "house": HOUSE, "online": True, "boot": "b", "ts": 1,
                      "oldest": value}).encode()
    with pytest.raises(c.PayloadError):
        c.parse_status(raw)


@pytest.mark.parametrize("value", [2**63, -(2**63), 10**20])
def test_event_data_integers_past_2_53_are_refused(value):
    with pytest.raises(c.PayloadError) as err:
        c.parse_event(payload(type="print.job_completed", data={"pages": value}))
    assert err.value.reason == "bad_value"


def test_a_5000_digit_integer_is_bad_json_not_a_crash():
    raw = b'{"v": 1, "req_id": "r1", "args": {"job": ' + b"9" * 5000 + b"}}"
    with pytest.raises(c.PayloadError) as err:
        c.parse_command("release_job", raw)
    assert err.value.reason == "bad_json"


def test_a_long_metric_name_is_refused():
    with pytest.raises(c.PayloadError) as err:
        c.parse_telemetry(payload(metrics={"a" * 65: 1}))
    assert err.value.reason == "bad_metric"


def test_builders_refuse_rows_the_parser_would_refuse():
    with pytest.raises(c.PayloadError):
        c.build_telemetry(c.Telemetry(HOUSE, "b", 2**63, 0, {}))
    with pytest.raises(c.PayloadError):
        c.build_event(c.Event(HOUSE, "b", 1, 10**17, "x.y", {}))


def test_a_cmd_result_detail_is_checked_like_any_payload():
    raw = json.dumps({"v": 1, "req_id": "r1", "name": "ping", "ok": True,
                      "detail": {"who": "6a3f910c7d12"}}).encode()
    with pytest.raises(c.PayloadError) as err:
        c.parse_cmd_result(raw)
    assert err.value.reason == "privacy"


# ----- every MAC spelling -----------------------------------------------------------------

MAC = st.binary(min_size=6, max_size=6).map(bytes.hex)


def spellings(hexmac: str) -> list[str]:
    pairs = [hexmac[i:i + 2] for i in range(0, 12, 2)]
    quads = [hexmac[i:i + 4] for i in range(0, 12, 4)]
    forms = [":".join(pairs), "-".join(pairs), ".".join(quads), hexmac]
    return forms + [f.upper() for f in forms]


@given(MAC, st.sampled_from(range(8)), st.text(alphabet="xyz _/", max_size=5))
@settings(max_examples=200)
def test_every_mac_spelling_is_refused_in_a_value(hexmac, form, around):
    text = around + spellings(hexmac)[form] + around
    with pytest.raises(c.PayloadError) as err:
        c.check_data({"who": text})
    assert err.value.reason == "privacy"


@given(MAC)
def test_a_mac_spelled_as_a_key_or_name_is_refused(hexmac):
    with pytest.raises(c.PayloadError):
        c.check_data({hexmac: 1})
    with pytest.raises(c.PayloadError):
        c.check_metrics({"wifi." + hexmac: 1})
    assert not c.is_house_id("-".join(hexmac[i:i + 2] for i in range(0, 12, 2)))


@pytest.mark.parametrize("text", ["b" * 32, "5f0c2a9e41b24c09a1d7c3f1b2a4e6d8",
                                  "1764043200000", "house-01", "media-empty-report"])
def test_ids_and_timestamps_are_not_mistaken_for_macs(text):
    assert not c.MAC_LIKE.search(text)


# ----- any JSON at all -------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=8)
FIELDS = st.dictionaries(st.sampled_from(["house", "boot", "seq", "ts", "mono", "upto", "tq",
                                          "metrics", "type", "data", "online", "oldest",
                                          "req_id", "name", "ok", "detail", "rows", "args",
                                          "expires_at", "version", "reason"]), JSON)
PARSERS = [c.parse_telemetry, c.parse_event, c.parse_status, c.parse_history,
           c.parse_cmd_result, c.parse_ack, c.parse_central_status, c.parse_central_alerts,
           lambda raw: c.parse_command("ping", raw)]


@given(FIELDS, st.sampled_from(range(len(PARSERS))))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])  # a busy CI core
def test_any_json_object_parses_or_raises_only_payload_error(fields, which):
    raw = json.dumps({"v": 1, **fields}).encode()
    try:
        PARSERS[which](raw)
    except c.PayloadError:
        pass


@pytest.mark.parametrize("field, where", [("metrics", {"note.text": "\ud800"}),
                                          ("boot", "\udfff")])
def test_a_lone_surrogate_is_refused_anywhere(field, where):
    raw = json.dumps({**ROW, "metrics": {}, field: where}).encode()
    with pytest.raises(c.PayloadError) as err:
        c.parse_telemetry(raw)
    assert err.value.reason == "bad_value"
