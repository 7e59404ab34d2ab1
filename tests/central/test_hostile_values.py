"""Nothing downstream breaks on one house's values: what a house may send (hostile but
within the contract and the vocabulary) and what its configured name says never stops the
pages, the JSON API, /metrics, alerts or reports for any house, and never becomes markup."""
from __future__ import annotations

import csv
import io
import itertools
import json
import queue
import threading
import time
from contextlib import contextmanager
from html.parser import HTMLParser

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

import protocol
from central import alerts, exporter, pages
from central import config as central_config
from central.config import MAX_PLACE  # a configured name's limit too
from central.app import Central
from harness.edgeproc import write_central_config
from harness.fakehouse import FakeHouse
from harness.mosquitto import MosquittoBroker
from harness.procs import LOOPBACK, free_port, wait_for
from harness import readback
from protocol import MAC_LIKE, MAX_INT, MAX_LIST, MAX_NAME, MAX_STRING, METRIC_NAME
from protocol.vocabulary import EVENTS, KEYWORD, METRICS, Value
from tests.central.conftest import Client

# ----- what a hostile house sends ---------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\u202egnp.exe",
           "zero\u200bwidth\u200djoin\ufeff", "{house}{0}%s", "\\\"'&amp;", "x" * MAX_STRING,
           "</title><svg/onload=1>", "שלום <b>", ""]
TEXT_CHARS = st.characters(blacklist_categories=("Cc", "Cs"))  # what TOML and UTF-8 can carry


def acked(app, house: str) -> int:
    """The house's ack watermark in `app`'s database (either engine)."""
    return readback.acked(app.store.path, house)


def no_mac(text: str) -> bool:
    return not MAC_LIKE.search(text)


def texts(most: int = MAX_STRING):
    """Hostile text: markup, bidi and zero-width characters, up to `most` characters."""
    mixed = st.builds(lambda a, b: (a + b)[:most], st.sampled_from(HOSTILE), st.text(TEXT_CHARS))
    return st.one_of(st.sampled_from([h[:most] for h in HOSTILE]), mixed).filter(no_mac)


WORDS = st.one_of(st.sampled_from(["media-empty-error", "x" * 64, "com.vendor." + "y" * 53]),
                  st.from_regex(KEYWORD, fullmatch=True)).filter(no_mac)
KEYS = st.from_regex(METRIC_NAME, fullmatch=True).filter(
    lambda n: len(n) <= MAX_NAME and no_mac(n))
NAMES = KEYS.filter(lambda n: n not in METRICS and n not in EVENTS)  # unknown to the vocabulary
INTS = st.one_of(st.sampled_from([MAX_INT, -MAX_INT, 0]), st.integers(-MAX_INT, MAX_INT))
SCALARS = st.one_of(texts(), INTS, st.floats(-MAX_INT, MAX_INT, allow_nan=False))


def value_of(spec: Value):
    """Values the vocabulary accepts for `spec`, its extremes first."""
    if spec.type in ("int", "number"):
        lo = int(spec.min if spec.min is not None else -MAX_INT)
        hi = int(spec.max if spec.max is not None else MAX_INT)
        whole = st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
        made = whole if spec.type == "int" else st.one_of(whole, st.floats(lo, hi,
                                                                          allow_nan=False))
    elif spec.type == "keyword":
        made = st.sampled_from(spec.choices) if spec.choices else WORDS
    elif spec.type == "keywords":
        made = st.lists(WORDS, max_size=min(spec.max_len, MAX_LIST))
    elif spec.type == "str":
        made = st.sampled_from(spec.choices) if spec.choices else texts(spec.max_len)
    elif spec.type == "date":
        made = st.dates().map(lambda d: d.isoformat())
    elif spec.type == "counts":
        made = st.dictionaries(KEYS, st.integers(0, MAX_INT), max_size=MAX_LIST)
    else:
        made = st.booleans()
    return st.one_of(st.none(), made) if spec.nullable else made


KNOWN_METRICS = st.fixed_dictionaries({}, optional={m.name: value_of(m.value)
                                                    for m in METRICS.values()})
UNKNOWN_METRICS = st.dictionaries(NAMES, st.one_of(SCALARS, st.lists(SCALARS, max_size=8)),
                                  max_size=4)
LEAVES = SCALARS | st.booleans() | st.none()
DATA = LEAVES | st.lists(LEAVES, max_size=MAX_LIST) | st.dictionaries(KEYS, LEAVES, max_size=4)
KNOWN_EVENTS = st.sampled_from(sorted(EVENTS)).flatmap(lambda t: st.tuples(
    st.just(t), st.fixed_dictionaries({k: value_of(v) for k, v in EVENTS[t].data.items()
                                       if v.required})))
UNKNOWN_EVENTS = st.tuples(NAMES, st.dictionaries(NAMES, DATA, max_size=5))
TIMES = st.one_of(st.none(), st.sampled_from([1, protocol.MAX_TS]))  # None: now


@st.composite
def hostile_house(draw) -> dict:
    """One house's messages (status, telemetry, events; their texts, numbers and clocks)
    and its configured name; its printer always needs attention (a long alert text)."""
    reasons = draw(st.lists(WORDS, min_size=8, max_size=32))
    return {"name": draw(texts(MAX_PLACE)), "version": draw(texts(MAX_NAME)),
            "boot": draw(texts(MAX_NAME).filter(bool)), "reason": draw(texts(MAX_NAME)),
            "metrics": {**draw(KNOWN_METRICS), **draw(UNKNOWN_METRICS),
                        "print.state": "stopped", "print.reasons": reasons},
            "events": draw(st.lists(KNOWN_EVENTS | UNKNOWN_EVENTS, max_size=4)),
            "ts": draw(TIMES),
            "clock": {"tq": draw(st.sampled_from(["ntp", "none"])),
                      **draw(st.fixed_dictionaries({}, optional={"mono": INTS.map(abs)}))}}


# ----- what staff and tools get -------------------------------------------------------------

TAGS = {"html", "head", "meta", "title", "link", "script", "body", "header", "a", "h1", "h2",
        "bdi", "main", "section", "div", "dl", "dt", "dd", "ul", "li", "time", "figure",
        "figcaption", "svg", "text", "line", "rect", "span", "button", "p", "form", "label",
        "input", "select", "option", "small"}  # the templates own every one of these


class Elements(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.found, self.text = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_no_markup_from_houses(html: str) -> str:
    """Only the templates' own elements and attributes; returns the page's text."""
    page = Elements(html)
    assert {tag for tag, _ in page.found} <= TAGS, html
    for tag, attrs in page.found:
        assert not any(name.startswith("on") or name == "http-equiv" for name in attrs), attrs
        assert all(attrs[a].startswith(("/", "?")) for a in ("href", "src") if a in attrs)
    scripts = [attrs for tag, attrs in page.found if tag == "script"]
    assert html.count("<script") == len(scripts) and all("src" in s for s in scripts)
    return "".join(page.text)


def assert_exposition(text: str) -> dict:
    """Prometheus text format as prometheus_client's parser reads it: one sample per series,
    float values; {(sample name, house): value}."""
    seen = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in seen, key
            seen[key] = float(sample.value)
    return {(name, dict(labels).get("house")): v for (name, labels), v in seen.items()}


# ----- pure: pages, /metrics and alert texts over generated values --------------------------

def card_of(draw, house: str, name: str, metrics: dict) -> dict:
    return {"house": house, "name": name, "online": draw(st.booleans()), "cause": "silent",
            "printer": {"state": metrics.get("print.state"),
                        "reasons": metrics.get("print.reasons") or []},
            "scanner": {"state": metrics.get("scan.state")},
            "wifi_now": metrics.get("wifi.clients"), "metrics": metrics, "help": []}


@settings(max_examples=60, deadline=None)
@given(st.data(), hostile_house(), st.sampled_from(["vi", "en"]))
def test_no_text_a_house_sends_becomes_markup_on_its_page(data, sent, lang):
    card = card_of(data.draw, "house-02", sent["name"], sent["metrics"])
    events = [{"ts": data.draw(st.integers(0, protocol.MAX_TS)), "type": t, "data": d}
              for t, d in sent["events"]]
    outages = [{"start": 0, "cause": data.draw(texts(MAX_NAME))}]
    chart = pages.build_chart([[0, MAX_INT], [3_600_000, -MAX_INT], [7_200_000, 0.5]],
                              sent["name"], "Asia/Ho_Chi_Minh", True)
    view = pages.house_view(lang, card, [{"title": sent["name"], "charts": [chart]}], events,
                            outages, "Asia/Ho_Chi_Minh")
    for fragment in (False, True):
        shown = assert_no_markup_from_houses(pages.house_page(lang, view, fragment).decode())
        assert sent["name"] in shown  # as text, exactly as configured


@settings(max_examples=60, deadline=None)
@given(st.data(), KNOWN_METRICS)
def test_metrics_exposition_parses_whatever_a_house_sent(data, metrics):
    cards = [card_of(data.draw, "house-01", "", {"wifi.clients": 3}),
             card_of(data.draw, "house-02", "", metrics)]
    registry = exporter.registry_for(lambda: exporter.Snapshot(cards, []))
    samples = assert_exposition(exporter.exposition(registry, None)[0].decode())
    assert {house for name, house in samples if name == "culturehouse_house_online"} == {
        "house-01", "house-02"}


@settings(max_examples=100, deadline=None)
@example("x", [], 123456789012, "outbox.backlog")  # a count that reads like a MAC address
@given(texts(400), st.lists(WORDS, max_size=32), st.integers(0, MAX_INT),
       st.sampled_from(alerts.KINDS))
def test_every_alert_text_fits_the_contract_so_all_alerts_are_published(name, reasons, rows,
                                                                       kind):
    detail = {"reasons": reasons, "state": "stopped", "rows": rows, "pct": 0.5,
              "cause": "lost", "skew_s": rows, "since": 0}
    item = alerts.as_dict(alerts.Track("house-02", kind, 0, detail, 1), 10**12, name)
    assert len(item["text"]) <= MAX_STRING and len(item["text_en"]) <= MAX_STRING
    payload = protocol.build_central_alerts(protocol.CentralAlerts(10**12, (protocol.AlertItem(
        item["house"], kind, 0, item["text"], item["text_en"]),)))
    assert len(protocol.parse_central_alerts(payload).alerts) == 1


# ----- through the real broker and central ------------------------------------------------

GOOD_NAME = "Nhà văn hóa thôn Đông"
EXAMPLE = itertools.count(1)
VIEWS = ["/", "/api/houses", "/api/houses?metrics=1", "/api/alerts", "/metrics",
         "/api/report.csv", "/api/report.json", "/api/report.json?summary=month",
         "/api/report.csv?house=house-02"] + [
    f"{prefix}/house-0{i}{suffix}" for i in (1, 2)
    for prefix, suffix in (("/houses", ""), ("/houses", "?fragment=1"),
                           ("/houses", "?lang=en"), ("/api/houses", ""))]


@contextmanager
def central(tmp_path, broker, users, root: str, names: dict, database):
    """A central of its own (database) for one example, stopped after it."""
    base = tmp_path / root.replace("/", "-")
    path = write_central_config(
        base.with_suffix(".toml"), broker.port, database, free_port(),
        users=users, mqtt={"topic_root": root}, houses={h: {"name": n} for h, n in names.items()},
        alerts={"interval": "1s", "printer_after": "0s", "help_ack_within": "0s"})
    app = Central(central_config.load(path))
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: app.collector.connected, 10, what="central connected")
        yield app
    finally:
        app.request_stop("example over")
        thread.join(10)


def retained_alerts(port: int, root: str) -> protocol.CentralAlerts:
    got: queue.Queue = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"watch-{root}")
    client.on_message = lambda c, u, m: got.put(m.payload)
    client.connect(LOOPBACK, port, 30)
    client.subscribe(protocol.Topics(root).central_alerts(), qos=1)
    client.loop_start()
    try:
        return protocol.parse_central_alerts(got.get(timeout=10))
    finally:
        client.disconnect()
        client.loop_stop()


def send(house: FakeHouse, kind: str, obj: dict) -> None:
    """A payload exactly as given, checked against the contract first (so it is valid)."""
    raw = json.dumps({"v": protocol.SCHEMA_VERSION, "house": house.house, **obj}).encode()
    {"status": protocol.parse_status, "telemetry": protocol.parse_telemetry,
     "event": protocol.parse_event}[kind](raw, house.house)
    topic = getattr(house.topics, kind)(house.house)
    house.client.publish(topic, raw, qos=1, retain=kind == "status").wait_for_publish(10)


@pytest.mark.integration
@pytest.mark.timeout(600)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking real servers: slow
@given(sent=hostile_house())
def test_one_hostile_house_breaks_nothing_for_the_other_or_for_staff(tmp_path, user_tables,
                                                                     central_dbs, sent):
    """Each example: its own mosquitto and central (central's broker session is its own)."""
    root = f"culturehouse/e{next(EXAMPLE)}"
    names = {"house-01": GOOD_NAME, "house-02": sent["name"]}
    with MosquittoBroker(tmp_path / root) as broker, \
            central(tmp_path, broker, user_tables, root, names,
                    central_dbs(root.rsplit("/", 1)[-1])) as app:
        good, evil = FakeHouse(broker.port, "house-01", root), FakeHouse(broker.port,
                                                                         "house-02", root)
        try:
            good.online()
            evil.boot = sent["boot"]
            for online, reason in ((True, ""), (False, sent["reason"]), (True, "")):
                send(evil, "status", {"online": online, "boot": evil.boot, "reason": reason,
                                      "ts": int(time.time() * 1000), "version": sent["version"]})
            clock = {"boot": evil.boot, "ts": sent["ts"] or int(time.time() * 1000),
                     **sent["clock"]}
            evil.seq += 1
            send(evil, "telemetry", {**clock, "seq": evil.seq, "metrics": sent["metrics"]})
            for etype, data in sent["events"]:
                evil.seq += 1
                send(evil, "event", {**clock, "seq": evil.seq, "type": etype, "data": data})
            good.telemetry({"wifi.clients": 5, "print.state": "idle", "print.reasons": []})
            good.event("print.job_completed", {"job": 1, "pages": 2})
            last = (evil.event("help.requested", {"request": 1}),
                    good.event("help.requested", {"request": 1}))
            wait_for(lambda: (acked(app, "house-02"), acked(app, "house-01")) == last, 20,
                     what="both houses stored up to their last message")
            assert sum(app.collector.rejected.values()) == 0  # all of it was valid
            client = Client(f"http://127.0.0.1:{app.web.port}")
            assert client.login("viewer").status == 303
            wait_for(lambda: {(a["house"], a["kind"]) for a in client.get("/api/alerts").json()[
                "alerts"]} >= {("house-01", "help.unacked"), ("house-02", "help.unacked"),
                               ("house-02", "printer.attention")}, 15, what="alerts raised")
            check_every_view(client, sent["name"])
            wait_for(lambda: {a.house for a in retained_alerts(broker.port, root).alerts}
                     == {"house-01", "house-02"}, 15, what="alerts of both houses published")
        finally:
            good.close()
            evil.close()


def check_every_view(client: Client, name: str) -> None:
    for path in VIEWS:
        reply = client.get(path)
        assert reply.status == 200, (path, reply.body[:300])
        body = reply.body.decode()
        if reply.headers["Content-Type"].startswith("text/html"):
            shown = assert_no_markup_from_houses(body)
            if path.startswith("/houses/house-02"):
                assert name in shown
    houses = client.get("/api/houses").json()["houses"]
    assert [(h["house"], h["name"]) for h in houses] == [("house-01", GOOD_NAME),
                                                         ("house-02", name)]
    samples = assert_exposition(client.get("/metrics").body.decode())
    assert {house for n, house in samples if n == "culturehouse_house_online"} == {
        "house-01", "house-02"}
    rows = list(csv.DictReader(io.StringIO(client.get("/api/report.csv").body.decode())))
    assert {r["house"] for r in rows} == {"house-01", "house-02"}
    assert {r["house"] for r in client.get("/api/report.json").json()["rows"]} == {
        "house-01", "house-02"}
    for a in client.get("/api/alerts").json()["alerts"]:
        assert len(a["text"]) <= MAX_STRING and len(a["text_en"]) <= MAX_STRING
