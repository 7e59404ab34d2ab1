"""Scan tests run against real libsane limited to its `test` backend."""
from __future__ import annotations

from harness.sane import TEST_CONF, use_test_backend

SANE_DIR = use_test_backend()  # before the first sane.init() in this process

import pytest  # noqa: E402

from .driver import ScanAgent  # noqa: E402


@pytest.fixture
def sane_devices():
    """Set how many test devices libsane will find at the next enumeration (a replug)."""
    conf = SANE_DIR / "test.conf"

    def plug(count: int) -> None:
        conf.write_text(f"number_of_devices {count}\n")

    yield plug
    conf.write_text(TEST_CONF)


@pytest.fixture
def agent_factory(tmp_path):
    agents: list[ScanAgent] = []

    def make(scanner: dict | None = None, **kwargs) -> ScanAgent:
        agent = ScanAgent(tmp_path, scanner or {}, **kwargs)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


@pytest.fixture
def agent(agent_factory):
    """A started scan feature with default presets, its device found."""
    a = agent_factory().start()
    a.wait_ready()
    return a
