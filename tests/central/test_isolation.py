"""One message that passes the contract yet fails to store is rejected alone; a database that
refuses every write stalls ingest visibly (healthz, logs, alert) and loses nothing.

The poison is real: a value the contract accepts that breaks a later step (an
unsynchronised row re-timed by its boot's anchor to a year past 9999, which the daily
roll-up cannot name). Should the contract learn to refuse it,
`test_the_poison_passes_the_contract_yet_breaks_the_store` fails first: find another, or
the isolation tests no longer test anything. (A lone UTF-16 surrogate was one too, until
the contract learnt to refuse it.)
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time

import pytest
from selenium.webdriver.common.by import By

import protocol
from central.isolation import STALL_AFTER, StallWatch, retry_delay, write_isolated
from central.store import Received, Store, connect
from harness.procs import wait_for
from harness import readback
from tests.central.conftest import PASSWORDS
from tests.central.test_browser import browser  # noqa: F401  (a fixture: real Chromium)
from tests.telemetry.helpers import WireClient

FULL = sqlite3.OperationalError("database or disk is full")


def acked(app, house: str) -> int:
    """The house's ack watermark in `app`'s database (either engine)."""
    return readback.acked(app.store.path, house)


# ----- the isolating write, over plain values ---------------------------------------------


def writer(poison=(), full_after: int | None = None):
    """A write that refuses parts holding a poison, or everything after `full_after` calls."""
    calls = []

    def write(part):
        calls.append(list(part))
        if full_after is not None and len(calls) > full_after:
            raise FULL
        if any(item in poison for item in part):
            raise ValueError("poison")
        return {item: len(calls) for item in part}

    return write, calls


def stand_in(item, exc):
    return f"stand-in for {item}"


def test_a_message_that_fails_alone_is_replaced_by_its_stand_in_and_the_rest_is_written():
    batch = [f"m{i}" for i in range(10)]
    write, _ = writer(poison={"m3", "m8"})
    out = write_isolated(write, batch, stand_in)
    assert [item for item, _ in out.failed] == ["m3", "m8"]
    assert all(isinstance(exc, ValueError) for _, exc in out.failed)
    assert sorted(out.stored) == sorted([m for m in batch if m not in ("m3", "m8")]
                                        + ["stand-in for m3", "stand-in for m8"])
    assert out.error is None and out.left == []
    assert set(out.marks) == set(out.stored)


def test_a_batch_without_poison_is_written_in_one_go():
    write, calls = writer()
    out = write_isolated(write, ["a", "b", "c"], stand_in)
    assert calls == [["a", "b", "c"]] and out.stored == ["a", "b", "c"]


def test_a_database_failure_is_not_blamed_on_any_message():
    write, calls = writer(full_after=0)
    out = write_isolated(write, ["a", "b", "c"], stand_in)
    assert out.error is FULL and out.left == ["a", "b", "c"]
    assert out.failed == [] and out.stored == [] and len(calls) == 1


@pytest.mark.parametrize("full_after, stored, failed", [
    (5, ["m0"], []),  # full while writing m1's stand-in: m1 is held, not rejected
    (6, ["m0", "stand-in for m1"], ["m1"]),  # full after it: m1 stays rejected
])
def test_a_database_failure_while_isolating_leaves_the_rest_in_order(full_after, stored, failed):
    batch = [f"m{i}" for i in range(8)]
    write, _ = writer(poison={"m1"}, full_after=full_after)
    out = write_isolated(write, batch, stand_in)
    assert out.error is FULL
    assert out.stored == stored and [item for item, _ in out.failed] == failed
    assert out.left == batch[1 + len(failed):]


def test_a_stand_in_that_fails_too_holds_its_message_instead_of_rejecting_it():
    write, _ = writer(poison={"m1", "stand-in for m1"})
    out = write_isolated(write, ["m0", "m1", "m2"], stand_in)
    assert out.failed == []  # not rejected: held
    assert isinstance(out.error, ValueError) and out.left == ["m1", "m2"]
    assert out.stored == ["m0"]


def test_a_message_without_a_stand_in_is_rejected_with_nothing_in_its_place():
    write, _ = writer(poison={"status"})
    out = write_isolated(write, ["a", "status", "b"], lambda item, exc: None)
    assert [item for item, _ in out.failed] == ["status"] and sorted(out.stored) == ["a", "b"]


def test_ingest_is_stalled_only_after_repeated_database_failures_and_says_why():
    watch = StallWatch()
    became = [watch.failed(FULL, 12, mono=100.0 + i, wall_ms=5000 + i)
              for i in range(STALL_AFTER + 2)]
    assert became == [False] * (STALL_AFTER - 1) + [True, False, False]
    assert watch.stall.since == 5000 + STALL_AFTER - 1
    assert watch.stall.reason == "OperationalError: database or disk is full"
    assert watch.stall.held == 12
    assert watch.retry_at == 100.0 + STALL_AFTER + 1 + retry_delay(STALL_AFTER + 2)
    ended = watch.succeeded()
    assert ended.since == 5000 + STALL_AFTER - 1 and watch.stall is None and watch.failures == 0


def test_retries_slow_down_but_never_wait_long():
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays) and delays[0] < 0.5 and delays[-1] <= 5.0


# ----- the poisons ----------------------------------------------------------------------

def surrogate_telemetry(house: str, boot: str, seq: int) -> bytes:
    """A telemetry row whose unknown metric holds a lone surrogate: valid JSON, no UTF-8."""
    return json.dumps({"v": 1, "house": house, "boot": boot, "seq": seq,
                       "ts": int(time.time() * 1000),
                       "metrics": {"note.text": "\ud800", "sys.uptime_s": 5}}).encode()


def far_future_telemetry(house: str, boot: str, seq: int) -> bytes:
    """An unsynchronised row whose mono, against an anchor at mono 0, lands past year 9999."""
    return protocol.build_telemetry(protocol.Telemetry(house, boot, seq, int(time.time() * 1000),
                                                       {"sys.uptime_s": 6}, "none",
                                                       protocol.MAX_INT))


def anchor(house: str, boot: str, seq: int) -> bytes:
    return protocol.build_telemetry(protocol.Telemetry(house, boot, seq, int(time.time() * 1000),
                                                       {"sys.uptime_s": 4}, "ntp", 0))


def test_the_poison_passes_the_contract_yet_breaks_the_store(central_db):
    store = Store(central_db)
    now = int(time.time() * 1000)
    store.write_batch([Received(protocol.parse_telemetry(anchor("house-02", "b" * 32, 1)), now)])
    message = protocol.parse_telemetry(far_future_telemetry("house-02", "b" * 32, 3),
                                       "house-02")  # the contract lets it in
    with pytest.raises(ValueError):
        store.write_batch([Received(message, now)])
    store.close()


def test_a_lone_surrogate_is_refused_at_the_door_now():
    with pytest.raises(protocol.PayloadError) as err:
        protocol.parse_telemetry(surrogate_telemetry("house-02", "b" * 32, 2), "house-02")
    assert err.value.reason == "bad_value"


# ----- against a running central and a real broker --------------------------------------

def rows_of(app, house: str) -> dict[int, tuple]:
    db = connect(app.store.path, readonly=True)
    try:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT seq, kind, type, body FROM messages WHERE house = ?", (house,))}
    finally:
        db.close()


def send_raw(house, raw: bytes) -> int:
    house.seq += 1
    house.client.publish(house.topics.telemetry(house.house), raw, qos=1).wait_for_publish(10)
    return house.seq


def poison_run(good, evil) -> dict:
    """Both houses send interleaved rows, evil a poison among them: {name: seq}."""
    good.online()
    evil.online()
    seqs = {"anchor": send_raw(evil, anchor(evil.house, evil.boot, evil.seq + 1))}
    good.telemetry({"wifi.clients": 4})
    good.event("print.job_completed", {"job": 1, "pages": 3})
    seqs["far_future"] = send_raw(evil, far_future_telemetry(evil.house, evil.boot,
                                                             evil.seq + 1))
    seqs["evil_last"] = evil.telemetry({"wifi.clients": 2})
    seqs["good_last"] = good.telemetry({"wifi.clients": 6})
    return seqs


def test_a_message_that_fails_to_store_is_rejected_alone_and_its_batch_is_stored(
        make_central, client_for, houses, caplog):
    # One batch: everything below arrives within the wait, so the poisons share it.
    app = make_central(ingest={"batch_wait": "1s"})
    caplog.set_level(logging.WARNING, logger="central.collector")
    good, evil = houses("house-01"), houses("house-02")
    seqs = poison_run(good, evil)
    wait_for(lambda: acked(app, "house-02") == seqs["evil_last"]
             and acked(app, "house-01") == seqs["good_last"], 15,
             what="both watermarks past the poisons")
    assert app.collector.rejected == {"store_failed": 1}
    assert app.collector.stored_total == 5  # 3 of house-01, anchor and last of house-02
    evil_rows = rows_of(app, "house-02")
    kind, type_, body = evil_rows[seqs["far_future"]]
    assert (kind, type_) == ("event", "ingest.rejected")
    assert json.loads(body) == {"reason": "store_failed", "problem": "ValueError",
                                "kind": "telemetry"}
    assert evil_rows[seqs["evil_last"]][0] == "telemetry"
    assert len(rows_of(app, "house-01")) == 3
    client = client_for(app)
    assert client.get("/healthz").status == 200
    client.login("viewer")
    cards = {h["house"]: h for h in client.get("/api/houses").json()["houses"]}
    assert cards["house-01"]["today"]["pages"] == 3 and cards["house-01"]["wifi_now"] == 6
    assert cards["house-02"]["wifi_now"] == 2
    lines = [r.getMessage() for r in caplog.records if "store_failed" in r.getMessage()]
    assert len(lines) == 1 and "house-02" in lines[0]  # once per house and reason


def test_a_rejected_poison_is_acknowledged_and_never_comes_back(make_central, houses):
    first = make_central()
    good, evil = houses("house-01"), houses("house-02")
    seqs = poison_run(good, evil)
    wait_for(lambda: acked(first, "house-02") == seqs["evil_last"], 15, what="poisons handled")
    assert first.collector.rejected["store_failed"] == 1
    first.request_stop("restart")
    wait_for(lambda: not first.collector.writer.is_alive() and not first.collector.connected,
             10, what="the first central stopped")
    second = make_central()  # same database, same broker session
    later = good.telemetry({"wifi.clients": 1})
    wait_for(lambda: acked(second, "house-01") == later, 15, what="a new row after the restart")
    time.sleep(1.0)  # anything the broker still held for the session has come by now
    assert second.collector.rejected == {}


def fill_up(app) -> None:
    """The database may not grow by a single page: what the disk being full looks like."""
    pages = app.store.db.execute("PRAGMA page_count").fetchone()[0]
    app.store.db.execute(f"PRAGMA max_page_count = {pages}")


def health(client) -> tuple[int, dict]:
    reply = client.get("/healthz")
    return reply.status, reply.json()


@pytest.mark.sqlite_only  # a full disk, as SQLite's page limit; tests/central/test_postgres.py
def test_a_full_database_stalls_ingest_visibly_and_nothing_is_lost_once_space_is_back(
        make_central, client_for, houses, broker, caplog):
    app = make_central(alerts={"interval": "1s"})
    caplog.set_level(logging.INFO, logger="central.collector")
    client = client_for(app)
    client.login("viewer")
    retained = WireClient(broker.port)
    retained.subscribe(protocol.Topics().central_alerts())
    house = houses("house-01")
    house.online()
    first = house.telemetry({"wifi.clients": 1})
    wait_for(lambda: acked(app, "house-01") == first, 15, what="the first row stored")
    fill_up(app)
    last = 0
    for i in range(60):
        last = house.telemetry({"wifi.clients": i, "note.text": "x" * 150})
    status, body = wait_for(lambda: (h := health(client))[0] == 503 and h, 15,
                            what="healthz saying ingest stalled")
    assert body["status"] == "degraded" and body["broker"] is True
    assert "ingest stalled" in body["reason"] and "full" in body["reason"]
    assert body["ingest"]["held"] > 0
    alert = wait_for(lambda: [a for a in client.get("/api/alerts").json()["alerts"]
                              if a["kind"] == "central.ingest_stalled"], 10,
                     what="the stalled alert")[0]
    assert alert["house"] == "central" and "full" in alert["text_en"]
    overview = client.get("/api/houses").json()
    assert [a["kind"] for a in overview["central_alerts"]] == ["central.ingest_stalled"]
    wait_for(lambda: any(a.kind == "central.ingest_stalled" for raw in retained.on("/alerts")
                         for a in protocol.parse_central_alerts(raw).alerts), 10,
             what="the stalled alert, retained on the broker")
    assert acked(app, "house-01") == first  # nothing stored, nothing acknowledged
    time.sleep(1.5)  # more failed retries: still one log line

    app.store.db.execute("PRAGMA max_page_count = 1073741823")  # space is back
    wait_for(lambda: acked(app, "house-01") == last, 20, what="every held row stored")
    assert sorted(rows_of(app, "house-01")) == list(range(1, last + 1))
    assert app.collector.rejected == {}
    wait_for(lambda: health(client)[0] == 200, 10, what="healthz ok again")
    wait_for(lambda: not [a for a in client.get("/api/alerts").json()["alerts"]
                          if a["kind"] == "central.ingest_stalled"], 10,
             what="the alert cleared")
    said = [r.getMessage() for r in caplog.records if "ingest" in r.getMessage()]
    assert len([m for m in said if "ingest stalled" in m]) == 1
    assert len([m for m in said if "ingest resumed" in m]) == 1
    retained.close()


@pytest.mark.sqlite_only
def test_what_a_stalled_central_held_comes_back_from_the_broker_after_a_restart(
        make_central, client_for, houses):
    first = make_central()
    house = houses("house-01")
    house.online()
    wait_for(lambda: acked(first, "house-01") == 0 and rows_of(first, "house-01") == {}
             and first.collector.connected, 5, what="house known")
    fill_up(first)
    last = 0
    for i in range(40):
        last = house.telemetry({"wifi.clients": i, "note.text": "y" * 150})
    wait_for(lambda: first.collector.watch.stall is not None, 15, what="ingest stalled")
    first.request_stop("restart while stalled")
    wait_for(lambda: not first.collector.writer.is_alive() and not first.collector.connected,
             10, what="the first central stopped")
    second = make_central()  # a fresh connection: no page limit
    wait_for(lambda: acked(second, "house-01") == last, 20, what="the held rows, redelivered")
    assert sorted(rows_of(second, "house-01")) == list(range(1, last + 1))
    assert second.collector.rejected == {}


def test_the_overview_shows_staff_that_central_stopped_storing(make_central, client_for,
                                                               houses, browser):
    app = make_central(alerts={"interval": "1s"})
    client = client_for(app)
    client.login("viewer")
    house = houses("house-01")
    house.online()
    wait_for(lambda: client.get("/api/houses").json()["houses"], 15, what="the house stored")
    fill_up(app)
    for i in range(40):
        house.telemetry({"wifi.clients": i, "note.text": "z" * 150})
    wait_for(lambda: client.get("/api/houses").json()["central_alerts"], 15,
             what="the stalled alert")
    browser.get(f"http://127.0.0.1:{app.web.port}/login")
    browser.find_element(By.ID, "user").send_keys("viewer")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["viewer"])
    browser.find_element(By.ID, "login").click()
    def shown_alerts():  # the overview may still be loading after the login redirect
        boxes = browser.find_elements(By.ID, "alerts")
        return boxes[0] if boxes and boxes[0].is_displayed() else None
    box = wait_for(shown_alerts, 15, what="the alerts box")
    assert "Trung tâm: ngừng lưu dữ liệu" in box.text and "full" in box.text
    app.store.db.execute("PRAGMA max_page_count = 1073741823")
    wait_for(lambda: shown_alerts() is None, 20, what="the alert gone from the page")
