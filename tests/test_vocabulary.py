"""The vocabulary is the one list of words: docs/protocol.md shows exactly its tables, its
checks never raise on hostile values, and every metric and event the edge's features emit
(driven against the real cupsd, the SANE test backend, the fake hostapd, MockFactory) is
declared with a value that fits. `python -m tests.test_vocabulary` prints the doc tables.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.vocabulary import (COMMANDS, EVENTS, MAX_INT, METRICS, Value, command_args_problems,
                                 describe, event_problems, metric_problem, value_problem)

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


if __name__ == "__main__":
    for title, table in rendered().items():
        print(f"### {title}\n\n{as_markdown(title, table)}\n")
