"""A private mosquitto broker on 127.0.0.1 with its own config and port."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .procs import LOOPBACK, Proc, free_port, wait_for_port


class MosquittoBroker:
    def __init__(self, workdir: Path, extra_conf: str = "", port: int | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra_conf = extra_conf
        self.proc: Proc | None = None

    @property
    def conf_path(self) -> Path:
        return self.workdir / "mosquitto.conf"

    def start(self) -> "MosquittoBroker":
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        lines = [f"listener {self.port} {LOOPBACK}", "persistence false", "log_dest stderr",
                 "log_type error", "log_type warning", "log_type notice",
                 "max_queued_messages 0"]
        if "allow_anonymous" not in self.extra_conf:
            lines.append("allow_anonymous true")
        if os.geteuid() == 0:
            lines.append("user root")  # keep access to our private files
        self.conf_path.write_text("\n".join(lines) + "\n" + self.extra_conf + "\n")
        self.proc = Proc([binary, "-c", str(self.conf_path)], self.workdir / "mosquitto.log")
        wait_for_port(self.port, proc=self.proc.popen)
        return self

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()

    def kill(self) -> None:
        """Simulate a broker crash (SIGKILL)."""
        if self.proc:
            self.proc.signal(9)
            self.proc.popen.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
