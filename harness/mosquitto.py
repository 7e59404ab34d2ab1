"""A private mosquitto broker on 127.0.0.1 with its own config and port."""
from __future__ import annotations

import os
import shutil
import subprocess
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


SHIPPED_CONF = Path(__file__).resolve().parent.parent / "config" / "mosquitto" / "mosquitto.conf"


def make_test_certs(directory: Path) -> dict[str, Path]:
    """A throw-away CA and a broker certificate for 127.0.0.1 (openssl, 1 day)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {n: directory / f"{n}" for n in ("ca.key", "ca.crt", "broker.key", "broker.csr",
                                            "broker.crt", "san.ext")}

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", str(paths["ca.key"]), "-out", str(paths["ca.crt"]))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(paths["broker.key"]), "-out", str(paths["broker.csr"]))
    paths["san.ext"].write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", str(paths["broker.csr"]), "-CA", str(paths["ca.crt"]),
        "-CAkey", str(paths["ca.key"]), "-CAcreateserial", "-days", "1",
        "-extfile", str(paths["san.ext"]), "-out", str(paths["broker.crt"]))
    return paths


class ShippedBroker(MosquittoBroker):
    """mosquitto running the shipped config/mosquitto/mosquitto.conf, with only its paths
    and ports moved into a private directory on 127.0.0.1 (and logs to a file)."""

    def __init__(self, workdir: Path, password_file: Path, acl_file: Path):
        super().__init__(workdir)
        self.tls_port = free_port()
        self.password_file, self.acl_file = password_file, acl_file
        self.certs: dict[str, Path] = {}

    def start(self) -> "ShippedBroker":
        self.certs = make_test_certs(self.workdir / "certs")
        persist = self.workdir / "persist"
        persist.mkdir(exist_ok=True)
        moved = {
            "password_file": f"password_file {self.password_file}",
            "acl_file": f"acl_file {self.acl_file}",
            "persistence_location": f"persistence_location {persist}/",
            "cafile": f"cafile {self.certs['ca.crt']}",
            "certfile": f"certfile {self.certs['broker.crt']}",
            "keyfile": f"keyfile {self.certs['broker.key']}",
            "log_dest": "log_dest stderr",
        }
        out = []
        for line in SHIPPED_CONF.read_text().splitlines():
            word = line.split(" ", 1)[0]
            if line.startswith("listener 1883"):
                line = f"listener {self.port} {LOOPBACK}"
            elif line.startswith("listener 8883"):
                line = f"listener {self.tls_port} {LOOPBACK}"
            elif word in moved:
                line = moved[word]
            out.append(line)
        if not any(line.startswith("persistence_location") for line in out):
            out.append(moved["persistence_location"])  # Debian's main config has it
        if os.geteuid() == 0:
            out.append("user root")
        self.conf_path.write_text("\n".join(out) + "\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = Proc([binary, "-c", str(self.conf_path)], self.workdir / "mosquitto.log")
        wait_for_port(self.port, proc=self.proc.popen)
        wait_for_port(self.tls_port, proc=self.proc.popen)
        return self
