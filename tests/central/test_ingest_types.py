"""Types at the door: one house's wrongly typed values are rejected and counted, never
stored, and nothing another house sees (API, pages, /metrics, alerts, reports) breaks."""
from __future__ import annotations

import json
import time

import pytest

import protocol
from central.store import Received, Store, connect
from harness.procs import wait_for
from harness import readback
from protocol.vocabulary import metric_problem

META = '<meta http-equiv="refresh" content="0;url=http://login.example/">'
BAD = {"uptime_as_text": {"sys.uptime_s": "abc"}, "reasons_as_text": {"print.reasons": "x"},
       "clients_as_html": {"wifi.clients": META}}
VIEWS = ["/api/houses", "/api/houses?metrics=1", "/api/houses/house-01", "/api/houses/house-02",
         "/houses/house-01", "/houses/house-02", "/metrics", "/api/alerts", "/api/report.csv"]


def acked(app, house: str) -> int:
    """The house's ack watermark in `app`'s database (either engine)."""
    return readback.acked(app.store.path, house)


def rows_of(dashboard, house: str) -> list[tuple]:
    db = connect(dashboard.store.path, readonly=True)
    try:
        return db.execute("SELECT seq, kind, type, body FROM messages WHERE house = ? "
                          "ORDER BY seq", (house,)).fetchall()
    finally:
        db.close()


def card(client, house: str) -> dict:
    return next(h for h in client.get("/api/houses?metrics=1").json()["houses"]
                if h["house"] == house)


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_a_wrongly_typed_value_is_rejected_and_counted_while_another_house_is_stored(
        dashboard, client, houses, bad):
    good, evil = houses("house-01"), houses("house-02")
    good.online()
    evil.online()
    evil.telemetry({"sys.uptime_s": 100, "wifi.clients": 2})
    rejected_seq = evil.telemetry(bad)
    good.telemetry({"wifi.clients": 5, "print.state": "idle", "print.reasons": []})
    last = evil.telemetry({"sys.uptime_s": 160, "wifi.clients": 3, "print.reasons": []})
    good.event("print.job_completed", {"job": 7, "pages": 2})
    client.login("viewer")
    wait_for(lambda: acked(dashboard, "house-02") == last and acked(dashboard, "house-01") == 2,
             15, what="both watermarks past the rejected row")
    assert dashboard.collector.rejected["bad_value"] == 1
    reply = client.get("/api/houses")
    assert reply.status == 200
    assert [h["house"] for h in reply.json()["houses"]] == ["house-01", "house-02"]
    assert card(client, "house-01")["wifi_now"] == 5
    assert card(client, "house-01")["today"]["pages"] == 2
    assert card(client, "house-02")["wifi_now"] == 3
    (name, value), = bad.items()
    stand_in = next(r for r in rows_of(dashboard, "house-02") if r[0] == rejected_seq)
    assert stand_in[1:3] == ("event", "ingest.rejected")
    assert json.loads(stand_in[3]) == {"reason": "bad_value", "kind": "telemetry",
                                       "problem": f"{name}: {metric_problem(name, value)}"}
    for path in VIEWS:
        assert client.get(path).status == 200, path
    assert b"http-equiv" not in client.get("/houses/house-02").body


def test_an_event_with_wrongly_typed_data_is_rejected_and_its_house_keeps_flowing(
        dashboard, client, houses):
    house = houses("house-01")
    house.online()
    house.event("print.job_completed", {"job": "seven", "pages": 2})
    house.event("help.requested", {"request": -1})
    house.event("print.job_completed", {"job": 8, "pages": 3})
    client.login("viewer")
    wait_for(lambda: acked(dashboard, "house-01") == 3, 15, what="watermark at the last event")
    assert dashboard.collector.rejected["bad_value"] == 2
    assert dashboard.collector.stored_total == 1
    assert [r[2] for r in rows_of(dashboard, "house-01")] == ["ingest.rejected"] * 2 + [
        "print.job_completed"]
    assert card(client, "house-01")["today"]["pages"] == 3
    assert card(client, "house-01")["help"] == []


def test_names_the_vocabulary_does_not_know_are_stored_as_they_are(dashboard, client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"future.thing": "whatever", "sys.uptime_s": 50})
    house.event("future.event", {"anything": [1, "two"]})
    client.login("viewer")
    wait_for(lambda: acked(dashboard, "house-01") == 2, 15, what="both stored")
    assert dashboard.collector.rejected["bad_value"] == 0
    assert card(client, "house-01")["metrics"]["future.thing"] == "whatever"
    assert "culturehouse_future_thing" not in client.get("/metrics").body.decode()


def test_values_stored_before_the_door_checked_them_break_no_view(central_db, make_central,
                                                                  client_for):
    """A database from before this check may hold anything a house once sent."""
    now = int(time.time() * 1000)
    junk = {"sys.uptime_s": "abc", "print.reasons": 7, "wifi.clients": META,
            "outbox.rows": "many", "sys.disk_free_pct": "low", "print.state": ["?"],
            "scan.state": 3}
    store = Store(central_db)
    store.write_batch([Received(m, now - 9000 + 1000 * i) for i, m in enumerate((
        protocol.Status("house-01", True, "a" * 32, now, "0.1.0"),
        protocol.Telemetry("house-01", "a" * 32, 1, now, {"wifi.clients": 4}),
        protocol.Status("house-02", True, "b" * 32, now, "0.1.0"),
        protocol.Status("house-02", False, "b" * 32, now, "0.1.0", "lost"),
        protocol.Status("house-02", True, "c" * 32, now, "0.1.0"),
        protocol.Telemetry("house-02", "c" * 32, 1, now, junk)))])
    store.close()
    app = make_central(alerts={"interval": "1s", "printer_after": "0s"})
    client = client_for(app)
    client.login("viewer")
    for path in VIEWS:
        assert client.get(path).status == 200, path
    second = card(client, "house-02")
    assert second["wifi_now"] is None and second["printer"]["reasons"] == []
    assert set(junk).isdisjoint(second["metrics"])
    assert second["back_after"]["cause"] == "restart"  # uptime unknown, never a crash
    app.monitor.evaluate(now)  # raises if one house's junk reaches the alert rules
    assert b"http-equiv" not in client.get("/houses/house-02").body
