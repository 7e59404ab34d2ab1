"""One throw-away boot of the cached tree: `systemd-nspawn -b` with a volatile overlay (every
write goes to a tmpfs and is gone at power-off) and a private network (only its own lo).

Commands run inside through nsenter (all the container's namespaces), so this works on a
host without systemd or machined as well as on one with them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

INSIDE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}
WHEELS = "/var/cache/culturehouse-wheels"  # where the container sees the wheelhouse
CHECKOUT = "/mnt/checkout"  # the checkout, read-only; copied to SRC before installing
SRC = "/root/culturehouse"


class Container:
    def __init__(self, tree: Path, checkout: Path, wheels: Path, log: Path):
        self.name = f"ch-deploy-{os.getpid()}"
        self.tree, self.checkout, self.wheels, self.log_path = tree, checkout, wheels, log
        self.proc: subprocess.Popen | None = None
        self.leader = 0

    def boot(self, timeout: float = 120) -> str:
        """Start it and wait until systemd says the boot finished; its state."""
        log = open(self.log_path, "wb")
        # On a host booted with systemd, nspawn asks it for a scope with its own delegated
        # cgroup; elsewhere (a CI container, this project's VM) it keeps the caller's.
        # --register=no: machined is not needed either way.
        scope = [] if Path("/run/systemd/system").is_dir() else ["--keep-unit"]
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--boot", "--directory", str(self.tree),
             "--volatile=overlay", "--private-network", *scope, "--register=no",
             "--machine", self.name, "--console=pipe",
             # nspawn's own seccomp filter refuses every @clock call, even adjtimex's
             # read-only form; allow that back (without CAP_SYS_TIME nothing can set the
             # clock), so the units' clock reading is tested as on a Pi.
             "--system-call-filter=adjtimex clock_adjtime",
             f"--bind-ro={self.checkout}:{CHECKOUT}", f"--bind-ro={self.wheels}:{WHEELS}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.leader:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("systemd-nspawn did not start:\n" + self.log_tail())
            self.leader = self._find_leader()
            time.sleep(0.2)
        state = ""
        while time.monotonic() < deadline:
            state = self.sh("systemctl is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
        self._writable_cgroup_controllers()
        return state

    def _find_leader(self) -> int:
        """The container's PID 1 as the host sees it: nspawn's child running systemd."""
        for child in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == "systemd":
                    return int(child)
            except OSError:
                continue
        return 0

    def _writable_cgroup_controllers(self) -> None:
        """On a host with the legacy/hybrid cgroup hierarchy, nspawn mounts the controllers
        read-only, so systemd inside cannot apply MemoryMax, TasksMax or DevicePolicy. Make
        them writable and let systemd look again (daemon-reexec), as on a real machine (a
        unified-hierarchy host delegates a writable subtree and needs none of this)."""
        mounts = self.sh("findmnt -rn -t cgroup -o TARGET,OPTIONS", check=False).stdout
        readonly = [line.split()[0] for line in mounts.splitlines()
                    if line.split()[1].startswith("ro") and "name=systemd" not in line]
        if not readonly:
            return
        for target in readonly:
            self.sh(f"mount -o remount,bind,rw {target}")
        self.sh("systemctl daemon-reexec")

    def sh(self, script: str, check: bool = True, timeout: float = 600,
           input: str | None = None) -> subprocess.CompletedProcess:
        """Run a bash script inside as root; its output as text."""
        out = subprocess.run(
            # (nsenter's --wd would resolve the directory on the host's side.)
            ["nsenter", "--target", str(self.leader), "--all", "env", "-i",
             *(f"{k}={v}" for k, v in INSIDE_ENV.items()), "bash", "-c", "cd /root\n" + script],
            capture_output=True, text=True, timeout=timeout, input=input)
        if check and out.returncode != 0:
            raise RuntimeError(f"inside the container: {script}\nexit {out.returncode}\n"
                               + out.stdout[-3000:] + out.stderr[-3000:])
        return out

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def power_off(self, timeout: float = 60) -> None:
        """A clean shutdown; nspawn's process group is killed if it does not end in time."""
        if not self.proc or self.proc.poll() is not None:
            return
        if self.leader:
            try:
                os.kill(self.leader, signal.SIGRTMIN + 4)  # systemd: power off
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # SIGKILL to the container's PID 1 ends everything in its PID namespace; nspawn
            # alone would leave it running.
            for pid in (self.leader, self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
