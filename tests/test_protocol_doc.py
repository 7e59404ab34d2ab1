"""docs/protocol.md matches the contract module: every example parses and re-builds identically."""
import json
import re
from pathlib import Path

import pytest

import protocol as c

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
EXAMPLES = re.findall(r"```json\n(.*?)\n```", DOC.read_text(), re.S)


def rebuild(obj: dict) -> bytes:
    """Parse an example with the parser for its shape, then build it again with the code."""
    raw = json.dumps(obj).encode()
    if "metrics" in obj:
        return c.build_telemetry(c.parse_telemetry(raw))
    if "type" in obj and "seq" in obj:
        return c.build_event(c.parse_event(raw))
    if "online" in obj and "house" in obj:
        return c.build_status(c.parse_status(raw))
    if "online" in obj:
        return c.build_central_status(c.parse_central_status(raw))
    if "args" in obj:
        return c.build_command(c.parse_command("x", raw))
    if "ok" in obj:
        return c.build_cmd_result(c.parse_cmd_result(raw))
    if set(obj) <= {"v", "seq", "epoch"}:
        return c.build_ack(c.parse_ack(raw))
    extra = getattr(c, "parse_example", None)  # later payload kinds register here
    if extra is not None:
        return extra(raw)
    raise AssertionError(f"no parser for example with keys {sorted(obj)}")


def test_the_protocol_page_has_examples():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e[:40])
def test_each_example_is_exactly_what_the_code_builds(example):
    obj = json.loads(example)
    assert json.loads(rebuild(obj)) == obj


def test_the_page_names_every_topic_the_code_builds():
    text = DOC.read_text()
    t = c.Topics("{root}")
    for topic in (t.status("{house}"), t.telemetry("{house}"), t.event("{house}"),
                  t.cmd("{house}", "{name}"), t.cmd_result("{house}"), t.ack("{house}"),
                  t.history("{house}"), t.central_status()):
        assert f"`{topic}`" in text, topic
