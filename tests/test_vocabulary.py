"""The vocabulary is the one list of words: docs/protocol.md shows exactly its tables, its
checks never raise on hostile values, and every metric and event the edge's features emit
(driven against the real cupsd, the SANE test backend, the fake hostapd, MockFactory) is
declared with a value that fits. `python -m tests.test_vocabulary` prints the doc tables.
"""
from __future__ import annotations

import json
import math
import queue
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scanning.conftest import SANE_DIR  # noqa: F401  (libsane's test backend, set once)

from common.settings import load_table
from edge.agent import Agent
from edge.config import EdgeConfig, PanelConfig
from edge.feature import ButtonPress, CopyRequest, FeatureContext, Now
from edge.help import HelpFeature
from edge.outbox import plan_rollups
from edge.panel import GpioPanel, make_pin_factory
from edge.printing.config import PrinterConfig
from edge.printing.feature import PrintFeature
from edge.publisher import encode_row
from edge.wifi.config import HostapdConfig, WifiConfig
from edge.wifi.feature import WifiFeature
from edge.wifi.observations import SourceHealth
from harness.cups import CupsServer, FakeIppPrinter
from harness.fakehostapd import FakeHostapd
from harness.procs import wait_for
from protocol.vocabulary import (COMMANDS, EVENTS, MAX_INT, METRICS, Value, command_args_problems,
                                 describe, event_problems, metric_problem, value_problem)
from harness.printrig import (LoopAgent, cups_conn, make_pdf, now, set_paper, submit_held,
                                wait_queue_ready)
from tests.scanning.driver import ScanAgent

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "protocol.md"

# ----- docs/protocol.md shows the tables -----------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _keys(values) -> str:
    """`key`: type; `optional`?: type — "—" for none."""
    return "; ".join(f"`{key}`{'' if v.required else '?'}: {describe(v)}"
                     for key, v in values.items()) or "—"


def rendered() -> dict[str, list[list[str]]]:
    """The three tables as docs/protocol.md must show them, row by row."""
    return {
        "Commands": [[f"`{c.name}`", c.owner, _cell(_keys(c.args)), _cell(c.text)]
                     for c in COMMANDS.values()],
        "Metrics": [[f"`{m.name}`", m.kind, _cell(describe(m.value)), m.unit or "—",
                     _cell(m.text)] for m in METRICS.values()],
        "Events": [[f"`{e.type}`", _cell(_keys(e.data)), _cell(e.text)]
                   for e in EVENTS.values()],
    }


HEADERS = {"Commands": ["Command", "Owner", "Arguments", "What it does"],
           "Metrics": ["Metric", "Kind", "Type", "Unit", "Meaning"],
           "Events": ["Event", "Data", "Meaning"]}


def as_markdown(title: str, rows: list[list[str]]) -> str:
    head = HEADERS[title]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def doc_table(text: str, title: str) -> list[list[str]]:
    """The rows of the first table after the heading `### {title}` (cells kept escaped)."""
    found = re.search(rf"^### {title}\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert found, f"docs/protocol.md has no '### {title}' section"
    lines = [ln for ln in found.group(1).splitlines() if ln.startswith("|")]
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines]
    assert cells and cells[0] == HEADERS[title], f"{title}: header should be {HEADERS[title]}"
    return cells[2:]


def test_the_protocol_page_shows_exactly_the_vocabularys_tables():
    text = DOC.read_text()
    for title, rows in rendered().items():
        assert doc_table(text, title) == rows, (
            f"docs/protocol.md '### {title}' differs from protocol/words.py; "
            f"run `python -m tests.test_vocabulary` and paste:\n{as_markdown(title, rows)}")


def test_the_page_reader_sees_a_changed_cell():
    text = DOC.read_text()
    first = rendered()["Metrics"][0]
    changed = text.replace("| " + " | ".join(first) + " |",
                           "| " + " | ".join([first[0], "counter", *first[2:]]) + " |")
    assert doc_table(changed, "Metrics")[0][1] == "counter" != first[1]


def test_every_command_is_named_in_the_prose_that_lists_commands():
    for page in ("protocol.md", "telemetry.md", "dashboard.md"):
        text = (REPO / "docs" / page).read_text()
        missing = [name for name in COMMANDS if f"`{name}`" not in text]
        assert not missing, f"docs/{page} does not name {missing}"
        assert "`scan_rescan`" not in text, f"docs/{page} names a retired command"


def test_the_page_examples_use_the_vocabulary():
    for example in re.findall(r"```json\n(.*?)\n```", DOC.read_text(), re.S):
        obj = json.loads(example)
        rows = obj.get("rows", [obj])
        for row in rows:
            for name, value in row.get("metrics", {}).items():
                assert not metric_problem(name, value), (name, value)
            if "type" in row:
                assert row["type"] in EVENTS and not event_problems(row["type"], row["data"])
        if "args" in obj and "name" not in obj and "from" not in obj["args"]:
            assert not command_args_problems("press", obj["args"])


# ----- the tables themselves -----------------------------------------------------------------

def test_counters_are_non_negative_integers_named_total():
    for m in METRICS.values():
        assert m.kind in ("counter", "gauge", "info"), m.name
        if m.kind == "counter":
            assert m.name.endswith(".total") and m.value.type == "int" and m.value.min == 0
        if m.value.type in ("int", "number"):
            assert m.value.min is not None and m.value.max is not None, m.name


def test_the_values_the_issue_names_are_refused():
    assert metric_problem("sys.uptime_s", "abc")
    assert metric_problem("print.reasons", "x")
    assert metric_problem("print.reasons", 3)
    assert metric_problem("print.reasons", ["x" * 65])
    assert metric_problem("wifi.clients", '<meta http-equiv="refresh">')
    assert metric_problem("wifi.clients", 2**63)
    assert metric_problem("print.jobs.total", -1)
    assert metric_problem("mqtt.connected", True)
    assert metric_problem("print.state", "aa-bb-cc-dd-ee-ff")  # privacy holds in keywords
    assert metric_problem("print.state", "idle\n")
    assert event_problems("wifi.daily", {"day": "2026-02-30"})[0] == "day: expected a date YYYY-MM-DD"


def test_good_values_and_unknown_names_pass():
    assert metric_problem("print.reasons", ["media-empty", "com.apple.print.recoverable"]) == ""
    assert metric_problem("sys.load1", 0.31) == metric_problem("wifi.clients", 7) == ""
    assert metric_problem("some.future.metric", {"any": "shape"}) == ""
    assert event_problems("some.future.event", {"x": 1}) == []
    assert event_problems("wifi.daily", {"day": "2026-03-14"})  # the rest are required
    assert event_problems("print.job_completed", {"job": 3, "pages": 2, "extra": "ok"}) == []


def test_command_arguments_are_checked_by_name_type_and_range():
    assert command_args_problems("release_job", {"job": 12}) == []
    assert command_args_problems("release_job", {}) == ["job: required"]
    assert command_args_problems("release_job", {"job": "12"}) == ["job: expected an integer"]
    assert command_args_problems("press", {"button": "reboot"})
    assert command_args_problems("ping", {"x": 1}) == ["x: not an argument of ping"]
    assert command_args_problems("reboot", {})[0].startswith("unknown command")
    assert command_args_problems(["ping"], {})  # a name that is not a string


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                    | st.text(max_size=300),
                    lambda inner: st.lists(inner, max_size=70)
                    | st.dictionaries(st.text(max_size=70), inner, max_size=70), max_leaves=80)
SPECS = st.sampled_from([m.value for m in METRICS.values()]
                        + [v for e in EVENTS.values() for v in e.data.values()]
                        + [v for c in COMMANDS.values() for v in c.args.values()]
                        + [Value("keyword", choices=("a", "b")), Value("str", max_len=3)])


def _in_range(spec: Value, value) -> bool:
    if isinstance(value, list):
        return len(value) <= spec.max_len and all(isinstance(v, str) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low = -MAX_INT if spec.min is None else spec.min
        high = MAX_INT if spec.max is None else spec.max
        return math.isfinite(value) and low <= value <= high
    if isinstance(value, str):
        return len(value) <= spec.max_len and (not spec.choices or value in spec.choices)
    return value is None or isinstance(value, (bool, dict))


@settings(max_examples=400, deadline=None)
@given(SPECS, JSON | st.integers(min_value=-2**80, max_value=2**80) | st.floats())
def test_any_value_gets_a_verdict_and_what_is_accepted_is_json_and_in_range(spec, value):
    problem = value_problem(spec, value)
    assert isinstance(problem, str)
    if not problem:
        json.dumps(value, allow_nan=False)
        assert _in_range(spec, value), (describe(spec), value)
        assert value is not None or spec.nullable


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(METRICS)), st.sampled_from(sorted(EVENTS)),
       st.sampled_from(sorted(COMMANDS)) | st.text(max_size=40), JSON,
       st.dictionaries(st.text(max_size=20), JSON, max_size=10))
def test_the_checks_give_a_verdict_on_any_message(metric, event, command, value, data):
    assert isinstance(metric_problem(metric, value), str)
    assert all(isinstance(p, str) for p in event_problems(event, data))
    assert all(isinstance(p, str) for p in command_args_problems(command, data))
    assert isinstance(event_problems(event, value), list)  # data that is not even an object


# ----- what the edge's features really emit is declared ---------------------------------------

def undeclared(events: list[tuple[str, dict]], samples: list[dict]) -> list[str]:
    """Every emitted event type, data key and metric the vocabulary lacks or would refuse."""
    out = []
    for etype, data in events:
        spec = EVENTS.get(etype)
        if spec is None:
            out.append(f"event {etype} is not declared")
            continue
        out += [f"{etype}.{key} is not declared" for key in data if key not in spec.data]
        out += [f"{etype}: {problem} in {data}" for problem in event_problems(etype, data)]
    for metrics in samples:
        for name, value in metrics.items():
            if name not in METRICS:
                out.append(f"metric {name} is not declared")
            elif problem := metric_problem(name, value):
                out.append(f"{name} = {value!r}: {problem}")
    return out


def test_the_check_names_what_is_undeclared_or_refused():
    assert undeclared([("print.job_held", {"job": 1, "title": "x"}), ("x.y", {})],
                      [{"print.jobs.total": -1, "sys.fan_rpm": 5}]) == [
        "print.job_held.title is not declared", "event x.y is not declared",
        "print.jobs.total = -1: out of range: expected int ≥ 0",
        "metric sys.fan_rpm is not declared"]


@pytest.fixture
def cupsd():
    with FakeIppPrinter() as printer, CupsServer() as server:
        printer.set_pages(2)
        set_paper(printer, 250)
        server.add_ipp_queue("house", printer.uri, hold=True)
        wait_queue_ready(server.server, "house")
        yield server, printer


def test_the_print_feature_emits_only_declared_words(tmp_path, cupsd):
    server, printer = cupsd
    cfg = PrinterConfig(enabled=True, queue="house", server=server.server, poll_interval=1.0,
                        notify_interval=0.1, heal_interval=1.0, hold_expiry=60)
    agent = LoopAgent(tmp_path)
    feature = PrintFeature(cfg, agent.ctx, long_press=2.0)
    samples = []

    def sample():
        samples.append(dict(agent.call(lambda: feature.metrics(now()))))

    def held(n):
        agent.wait_event("print.job_held", count=n)
        sample()

    pdf = make_pdf(tmp_path / "doc.pdf", pages=2)
    agent.start(feature)
    try:
        wait_for(lambda: feature.snapshot and feature.snapshot.status.state == "idle", 20)
        submit_held(server.server, "house", pdf)
        held(1)
        agent.press()
        agent.wait_event("print.job_completed", 30)
        submit_held(server.server, "house", pdf)
        held(2)
        agent.items.put(ButtonPress("print", 2.5))
        agent.wait_event("print.job_cancelled")
        submit_held(server.server, "house", pdf)
        held(3)
        agent.call(feature.tick, Now(time.time() + 7200, time.monotonic()))
        agent.wait_event("print.job_expired")
        agent.items.put(CopyRequest(str(pdf), 2, "c42"))
        agent.wait_event("copy.completed", 30)
        cups_conn(server.server).disablePrinter("house", reason="backend failed")
        agent.wait_event("printer.reenabled", 20)
        damaged = tmp_path / "damaged.pdf"
        damaged.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
        cups_conn(server.server).printFile("house", str(damaged), "x",
                                           {"document-format": "application/pdf"})
        held(4)
        agent.press()
        agent.wait_event("print.job_failed", 40)
        set_paper(printer, 0)
        wait_for(lambda: "media-empty" in feature.snapshot.status.reasons, 20, what="paper out")
        agent.items.put(CopyRequest(str(pdf), 2, "c43"))
        agent.wait_event("copy.failed")
        sample()
    finally:
        agent.stop()
    assert {t for t, _ in agent.events} == {
        "printer.state_changed", "print.job_held", "print.job_released", "print.job_completed",
        "print.job_cancelled", "print.job_expired", "print.job_failed", "printer.reenabled",
        "copy.completed", "copy.failed"}
    assert undeclared(agent.events, samples) == []


@pytest.mark.integration  # drives the feature on its real backend
def test_the_scan_feature_emits_only_declared_words(tmp_path):
    agent = ScanAgent(tmp_path, {}, printer=True).start()
    samples = []
    try:
        agent.wait_ready()
        samples.append(dict(agent.feature.metrics(agent.now())))
        agent.press("scan")
        agent.finish_session()
        agent.wait_event("scan.completed")
        agent.press("copy")
        agent.pump(lambda: agent.copies, what="copy request")
        agent.feature.scanner.adjust("read-return-value", "SANE_STATUS_JAMMED")
        agent.press("scan")
        agent.wait_event("scan.failed")
        samples.append(dict(agent.feature.metrics(agent.now())))
    finally:
        agent.stop()
    assert {t for t, _ in agent.events} == {"scan.started", "scan.completed", "scan.failed"}
    assert {d["purpose"] for t, d in agent.events if t == "scan.completed"} == {"scan", "copy"}
    assert undeclared(agent.events, samples) == []


@pytest.mark.integration  # drives the feature on its real backend
def test_the_wifi_feature_emits_only_declared_words(tmp_path):
    sockets = Path(tempfile.mkdtemp(prefix="chv-"))  # UNIX socket paths are short
    (sockets / "ctrl").mkdir()
    fake = FakeHostapd(sockets / "ctrl").start()
    posted, events = queue.Queue(), []
    cfg = WifiConfig(enabled=True, sources=("hostapd",), snapshot_interval=3600,
                     hostapd=HostapdConfig(ctrl_dir=str(sockets / "ctrl"),
                                           client_dir=str(sockets), ping_interval=1))
    ctx = FeatureContext("house-01", tmp_path, posted.put,
                         lambda kind, data: events.append((kind, dict(data))))
    feature = WifiFeature(cfg, ctx, env={})
    midnight = 1_773_421_200  # 2026-03-14 00:00 in Asia/Ho_Chi_Minh

    def at(seconds: float) -> Now:
        return Now(midnight + seconds, 10_000.0 + seconds)

    def take(seconds: float, kind: type) -> None:
        while not isinstance(item := posted.get(timeout=10), kind):
            assert feature.handle(item, at(seconds))
        assert feature.handle(item, at(seconds))

    samples = []
    try:
        feature.start()
        feature.tick(at(0))
        take(0, SourceHealth)
        fake.associate("6a:3f:91:0c:7d:12", rx=4000, tx=9000)
        take(100, object)
        samples.append(dict(feature.metrics(at(200))))
        fake.leave("6a:3f:91:0c:7d:12")
        take(400, object)
        feature.tick(at(86400 + 100))
        feature.tick(at(86400 + 200))
        samples.append(dict(feature.metrics(at(86400 + 300))))
    finally:
        feature.stop()
        fake.stop()
        shutil.rmtree(sockets, ignore_errors=True)
    assert [t for t, _ in events] == ["wifi.daily"] and events[0][1]["sessions"] == 1
    assert samples[0]["wifi.clients"] == 1
    assert undeclared(events, samples) == []


@pytest.mark.integration  # drives the feature on its real backend
def test_the_help_feature_pressed_through_mock_gpio_emits_only_declared_words(tmp_path):
    agent = LoopAgent(tmp_path)
    panel = GpioPanel(PanelConfig(pin_factory="mock", help_button=6, help_light=23),
                      agent.items.put, make_pin_factory("mock"))
    agent.panel = panel
    feature = HelpFeature(PanelConfig(help_timeout=1.0), agent.ctx)
    panel.start()
    agent.start(feature)
    samples = []
    try:
        panel.buttons["help"].pin.drive_low()
        time.sleep(0.1)  # held longer than the contact-bounce time
        panel.buttons["help"].pin.drive_high()
        agent.wait_event("help.requested")
        samples.append(dict(agent.call(lambda: feature.metrics(now()))))
        assert agent.call(lambda: feature.on_command("help_ack", {}, now())).ok
        agent.wait_event("help.closed", 10)
        samples.append(dict(agent.call(lambda: feature.metrics(now()))))
    finally:
        agent.stop()
        panel.close()
    assert agent.types() == ["help.requested", "help.acknowledged", "help.closed"]
    assert samples[0]["help.open"] == 1
    assert undeclared(agent.events, samples) == []


@pytest.mark.integration  # drives the feature on its real backend
def test_what_the_agent_and_its_outbox_add_is_declared(tmp_path):
    cfg = load_table(EdgeConfig, {"house": {"id": "house-01"},
                                  "storage": {"state_dir": str(tmp_path)}})
    agent = Agent(cfg)
    try:
        assert agent.emit("print.job_held", {"job": 1, "note": "aa:bb:cc:dd:ee:ff"}) is None
        start = now()
        for i in range(3):
            agent.sample(Now(start.wall + i, start.mono + i))
        rows = agent.outbox.after(0, 10)
    finally:
        agent.outbox.close()
    samples = [dict(r.body) for r in rows]
    samples += [dict(m.body) for m in plan_rollups(rows, 1, 15 * 60_000)]
    refused = replace(rows[0], kind="event", type="x.y", body={"who": "aa:bb:cc:dd:ee:ff"})
    stand_in, _ = encode_row("house-01", refused)
    assert samples[0]["events.rejected.total"] == 1 and samples[-1]["rollup.samples"] == 3
    assert {"sys.uptime_s", "outbox.rows", "mqtt.connected"} <= set(samples[0])
    assert stand_in.type == "outbox.refused"
    assert undeclared([(stand_in.type, dict(stand_in.data))], samples) == []


if __name__ == "__main__":
    for title, table in rendered().items():
        print(f"### {title}\n\n{as_markdown(title, table)}\n")
