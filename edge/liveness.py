"""Is this house's agent running, and is it connected to the broker?

The agent holds a lock on `agent.lock` in its state directory for as long as it runs (a
second agent on the same directory is refused) and writes `link.json` when its broker
connection comes or goes. `culturehouse-edge check` reads them instead of logging in with
the house's user name: the broker binds client ids to user names, so that login would
take over the running agent's session and publish its will ("lost").
Pure: standard library only (plain files).
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

LOCK_FILE = "agent.lock"
LINK_FILE = "link.json"


class AlreadyRunning(OSError):
    """Another agent holds this state directory."""


class AgentLock:
    """Held from start to exit; the kernel drops it when the process dies, however."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / LOCK_FILE
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise AlreadyRunning(f"another agent is running with state directory "
                                 f"{state_dir}") from None

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def agent_running(state_dir: Path) -> bool:
    """True while an agent holds the state directory's lock."""
    path = Path(state_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def write_link_state(state_dir: Path, connected: bool, since_wall: float) -> None:
    """Record a connection change (written whole, then renamed: never half a file). A hint
    for `check` only: a full disk must not disturb the agent, so errors are ignored."""
    path = Path(state_dir) / LINK_FILE
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps({"connected": connected, "since": int(since_wall)}))
        tmp.replace(path)
    except OSError:
        pass


def read_link_state(state_dir: Path) -> dict | None:
    """{"connected": bool, "since": unix s} as the running agent last wrote it, or None."""
    try:
        state = json.loads((Path(state_dir) / LINK_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("connected"), bool) \
            or not isinstance(state.get("since"), int):
        return None
    return state
