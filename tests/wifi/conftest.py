"""Fixtures for the Wi-Fi tests: short socket directories, recorded data, a feature."""
from __future__ import annotations

import queue
import shutil
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def short_dir():
    """A short directory under /tmp: UNIX socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="chw-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def posted():
    """A queue standing in for the agent's main queue (what sources post)."""
    return queue.Queue()


def data(name: str) -> str:
    return (DATA / name).read_text()
