"""libsane limited to its `test` backend, through a private SANE_CONFIG_DIR."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEST_CONF = """number_of_devices 2
"""


def private_sane_config(workdir: Path | None = None) -> Path:
    """Write dll.conf (only `test`) and test.conf; return the directory."""
    path = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ch-sane-"))
    path.mkdir(parents=True, exist_ok=True)
    (path / "dll.conf").write_text("test\n")
    (path / "test.conf").write_text(TEST_CONF)
    return path


def use_test_backend(workdir: Path | None = None) -> Path:
    """Point this process (and its children) at the test backend only.

    Must run before the first sane.init() in the process.
    """
    path = private_sane_config(workdir)
    os.environ["SANE_CONFIG_DIR"] = str(path)
    return path
