"""One house can never hurt the fleet (issue 11): a house sending hostile payloads for every
field of every message kind, interleaved with valid traffic of other houses, through the
real mosquitto running the shipped config, into central in-process.

Every valid message of the other houses is stored and acknowledged, every hostile one is
rejected and counted (exactly once), and every page, API answer, /metrics, the alerts and
the reports keep answering with all houses.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import protocol
from central import config as central_config
from central.app import Central
from central.auth import hash_password
from central.broker_admin import add_house
from harness.edgeproc import write_central_config
from harness.fakehouse import FakeHouse
from harness.mosquitto import ShippedBroker
from harness.procs import free_port, wait_for

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

T = protocol.Topics()
GOOD = ("house-01", "house-02")
BAD = "house-66"
USER, PASSWORD = "staff", "staff-pass-1"
NOW = 1_764_043_200_000


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    work = tmp_path_factory.mktemp("fleet")
    pw, acl = work / "passwd", work / "acl"
    creds = {h: add_house(h, pw, acl, T.root) for h in (*GOOD, BAD, "central")}
    broker = ShippedBroker(work / "mosq", pw, acl).start()
    users = {USER: {"role": "viewer", "password_hash": hash_password(PASSWORD)}}
    path = write_central_config(work / "central.toml", broker.port, work / "central.sqlite",
                                free_port(), users=users,
                                mqtt={"username": "central", "password": creds["central"]},
                                ingest={"batch_wait": "50ms"})
    app = Central(central_config.load(path, environ={}))
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    wait_for(lambda: app.collector.connected, 15, what="central connected")
    houses = {h: FakeHouse(broker.port, h, password=creds[h]) for h in (*GOOD, BAD)}
    for house in houses.values():
        house.online()
    yield app, houses
    for house in houses.values():
        house.close()
    app.request_stop("test over")
    thread.join(5)
    broker.stop()


# ----- hostile payloads: a valid message with exactly one field made hostile -------------

HUGE = st.sampled_from([2**53, 2**63, 2**64, 10**17, -1, -(2**63)])
MAC = st.binary(min_size=6, max_size=6).map(bytes.hex).flatmap(lambda h: st.sampled_from([
    ":".join(h[i:i + 2] for i in range(0, 12, 2)), "-".join(h[i:i + 2] for i in range(0, 12, 2)),
    ".".join(h[i:i + 4] for i in range(0, 12, 4)), h.upper()]))
WRONG_TYPES = st.sampled_from([
    ("sys.uptime_s", "abc"), ("wifi.clients", "<meta http-equiv=refresh content=0>"),
    ("print.reasons", "media-empty"), ("print.reasons", 7), ("print.pages.total", -5),
    ("print.reasons", ["x" * 100] * 8), ("wifi.clients", 2.5e300)])


def row(seq: int, **fields) -> dict:
    return {"v": 1, "house": BAD, "boot": "b" * 32, "seq": seq, "ts": NOW, **fields}


@st.composite
def hostile(draw, seq: int) -> tuple[str, bytes]:
    """(topic kind, payload) that the contract or the vocabulary must refuse."""
    case = draw(st.sampled_from(range(12)))
    if case == 0:
        field = draw(st.sampled_from(["seq", "ts", "mono", "upto"]))
        obj = {**row(seq, metrics={}), field: draw(HUGE)}
        if field == "upto" and 0 <= obj["upto"] <= protocol.MAX_INT:
            obj["upto"] = -1  # an upto in range but below seq is fine; below zero is not
        return "telemetry", json.dumps(obj).encode()
    if case == 1:
        name, value = draw(WRONG_TYPES)
        return "telemetry", json.dumps(row(seq, metrics={name: value})).encode()
    if case == 2:
        return "telemetry", json.dumps(row(seq, metrics={"wifi.note": draw(MAC)})).encode()
    if case == 3:
        depth = {"a": [[[[[1]]]]]}
        return "event", json.dumps(row(seq, type="x.y", data=depth)).encode()
    if case == 4:
        return "event", json.dumps(row(seq, type="print.job_completed",
                                       data={"pages": draw(HUGE), "job": 1})).encode()
    if case == 5:
        digits = "9" * draw(st.integers(4301, 6000))
        return "telemetry", (b'{"v":1,"house":"%s","boot":"b","seq":%d,"ts":%s,"metrics":{}}'
                             % (BAD.encode(), seq, digits.encode()))
    if case == 6:
        return "telemetry", json.dumps(row(seq, house=GOOD[0], metrics={})).encode()
    if case == 7:
        text = draw(st.text(min_size=201, max_size=400))
        return "event", json.dumps(row(seq, type="help.requested", data={"note": text}),
                                   ensure_ascii=False).encode()
    if case == 8:
        return "status", json.dumps({"v": 1, "house": BAD, "online": True, "boot": "b",
                                     "ts": NOW, "oldest": draw(HUGE)}).encode()
    if case == 9:
        rows = [{"boot": "b", "seq": seq, "ts": NOW, "metrics": {}},
                {"boot": "b", "seq": seq + 1, "ts": draw(HUGE.filter(lambda v: v < 0 or v > 4e12)),
                 "metrics": {}}]
        return "history", json.dumps({"v": 1, "house": BAD, "rows": rows}).encode()
    if case == 10:
        return "telemetry", draw(st.binary(min_size=1, max_size=300).filter(
            lambda b: not b.startswith(b"\x78")))
    name = draw(st.text(alphabet="abcxyz.", min_size=65, max_size=80))
    return "telemetry", json.dumps(row(seq, metrics={name: 1})).encode()


def rejected_total(app) -> int:
    return sum(app.health()["rejected"].values())


def settled_rejections(app, at_least: int = 0) -> int:
    """The reject count once it reached `at_least` and then stayed put for half a second."""
    seen = (rejected_total(app), time.monotonic())

    def still() -> bool:
        nonlocal seen
        now = rejected_total(app)
        if now != seen[0]:
            seen = (now, time.monotonic())
        return now >= at_least and time.monotonic() - seen[1] >= 0.5
    wait_for(still, 20, interval=0.1, what="the reject count settled")
    return seen[0]


def stored_upto(app, house: str) -> int:
    db = app.store.reader()
    (top,) = db.execute("SELECT coalesce(max(seq), 0) FROM messages WHERE house = ?",
                        (house,)).fetchone()
    return top


def acked(app, house: str) -> int:
    status, body = get(app.web.port, f"/api/houses/{house}")
    return json.loads(body).get("acked_seq", 0) if status == 200 else 0


def get(port: int, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    request.add_header("Authorization", "Basic " + __import__("base64").b64encode(
        f"{USER}:{PASSWORD}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


BAD_SEQ = iter(range(1, 10**9, 10))


# No shrinking: each example runs through the real broker and central, and an unshrunk
# failing example is already a readable list of a few payloads.
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_a_hostile_house_never_hurts_the_other_houses(fleet, data):
    app, houses = fleet
    before = settled_rejections(app)
    reasons_before = dict(app.health()["rejected"])
    payloads = []
    sent = data.draw(st.lists(st.sampled_from(["bad", "good"]), min_size=4, max_size=16))
    last: dict[str, int] = {}
    bad_count = 0
    for i, who in enumerate(sent):
        if who == "bad":
            kind, payload = data.draw(hostile(next(BAD_SEQ)))
            houses[BAD].publish_raw(kind, payload)
            payloads.append((kind, payload[:200]))
            bad_count += 1
        else:
            house = GOOD[i % 2]
            last[house] = houses[house].telemetry({"sys.uptime_s": i, "wifi.clients": 3})
    wait_for(lambda: all(stored_upto(app, h) >= seq for h, seq in last.items()), 20,
             what="every valid message of the other houses stored")
    settled_rejections(app, before + bad_count)  # one counted twice would show here
    reasons = {k: v - reasons_before.get(k, 0) for k, v in app.health()["rejected"].items()
               if v != reasons_before.get(k, 0)}
    assert rejected_total(app) - before == bad_count, (reasons, payloads)
    for house, seq in last.items():  # their ack watermarks keep advancing
        wait_for(lambda h=house, s=seq: acked(app, h) >= s, 20, what=f"{house}'s ack at {seq}")


def test_every_page_and_answer_still_serves_all_houses_after_the_hostile_one(fleet):
    app, houses = fleet
    port = app.web.port
    status, body = get(port, "/api/houses")
    assert status == 200
    listed = {h["house"] for h in json.loads(body)["houses"]}
    assert set(GOOD) <= listed
    for path in ["/", "/metrics", "/api/alerts", "/api/report.csv", "/api/report.json",
                 *(f"/houses/{h}" for h in (*GOOD, BAD)), *(f"/api/houses/{h}" for h in GOOD)]:
        status, body = get(port, path)
        assert status == 200, (path, body[:300])
    assert app.health()["status"] == "ok"
