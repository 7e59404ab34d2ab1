"""A private cupsd on 127.0.0.1 and an ippeveprinter fake IPP printer.

cupsd gets its own cupsd.conf / cups-files.conf under a private directory; the
fake printer's print command reads a control directory, so a test can make the
printer report states (media-empty, media-jam, ...) and page counts.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import threading
from pathlib import Path

from .procs import LOOPBACK, Proc, free_port, wait_for, wait_for_port


def private_dir(prefix: str) -> Path:
    """A temp dir that CUPS filters (running as lp) can traverse: pytest's are 0700."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class CupsServer:
    """A private cupsd on 127.0.0.1. With share_on_lan=True it advertises its shared queues
    by DNS-SD (IPP Everywhere / AirPrint) through the loopback-only avahi of DnsSd."""

    def __init__(self, workdir: Path | None = None, port: int | None = None,
                 extra_conf: str = "", share_on_lan: bool = False):
        self.root = Path(workdir) if workdir else private_dir("ch-cups-")
        self.port = port or free_port()
        self.extra_conf = extra_conf
        self.share_on_lan = share_on_lan
        self.proc: Proc | None = None
        self._dnssd: DnsSd | None = None

    @property
    def server(self) -> str:
        """The value for CUPS_SERVER (pycups and the lp* tools honour it)."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def env(self) -> dict:
        extra = self._dnssd.env if self._dnssd else {}
        return {**os.environ, **extra, "CUPS_SERVER": self.server}

    def _browsing(self) -> str:
        if not self.share_on_lan:
            return "Browsing No\nBrowseLocalProtocols none\n"
        # cupsd shares nothing unless it has a listener it counts as remote ("Remote access
        # is disabled"). This IPv4-mapped loopback address counts as remote, yet cupsd
        # cannot bind it (its IPv6 sockets are V6ONLY: one "Unable to open listen socket"
        # line in error_log), so nothing listens beyond 127.0.0.1 while cupsd advertises
        # its shared queues on this very port.
        return ("Browsing On\nBrowseLocalProtocols dnssd\n"
                f"Listen [::ffff:{LOOPBACK}]:{self.port}\n")

    def _write_config(self) -> None:
        r = self.root
        for sub in ("etc", "spool", "cache", "state", "log"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        (r / "scratch").mkdir(exist_ok=True)
        (r / "scratch").chmod(0o1777)
        (r / "etc" / "cups-files.conf").write_text(textwrap.dedent(f"""\
            ServerRoot {r}/etc
            RequestRoot {r}/spool
            CacheDir {r}/cache
            StateDir {r}/state
            TempDir {r}/scratch
            AccessLog {r}/log/access_log
            ErrorLog {r}/log/error_log
            PageLog {r}/log/page_log
            FileDevice Yes
            Printcap
            """))
        (r / "etc" / "cupsd.conf").write_text(textwrap.dedent(f"""\
            LogLevel info
            Listen {LOOPBACK}:{self.port}
            DefaultPaperSize A4
            PreserveJobHistory Yes
            PreserveJobFiles No
            ErrorPolicy stop-printer
            JobRetryInterval 5
            <Location />
              Order allow,deny
              Allow from 127.0.0.1
            </Location>
            <Policy default>
              JobPrivateAccess all
              JobPrivateValues none
              SubscriptionPrivateAccess all
              SubscriptionPrivateValues none
              <Limit All>
                Order deny,allow
              </Limit>
            </Policy>
            """) + self._browsing() + self.extra_conf + "\n")

    def start(self) -> "CupsServer":
        self._write_config()
        cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
        etc = self.root / "etc"
        env = None
        if self.share_on_lan and self._dnssd is None:
            self._dnssd = DnsSd.acquire()
            self._dnssd.publish_host()
        if self._dnssd:
            env = {**os.environ, **self._dnssd.env}
        self.proc = Proc([cupsd, "-f", "-c", str(etc / "cupsd.conf"), "-s",
                          str(etc / "cups-files.conf")], self.root / "cupsd.out", env=env)
        wait_for_port(self.port, proc=self.proc.popen)
        return self

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
        if self._dnssd:
            DnsSd.release()
            self._dnssd = None

    def restart(self) -> None:
        self.stop()
        self.proc = None
        self.start()

    def lpadmin(self, *args: str) -> None:
        subprocess.run(["lpadmin", *args], env=self.env, check=True, capture_output=True,
                       timeout=60)

    def add_null_queue(self, name: str, hold: bool = False) -> None:
        """A queue printing to file:///dev/null (no printer needed, pages stay 0)."""
        opts = ["-o", "job-hold-until-default=indefinite"] if hold else []
        self.lpadmin("-p", name, "-E", "-v", "file:///dev/null",
                     "-m", "drv:///sample.drv/generic.ppd", *opts)

    def add_ipp_queue(self, name: str, uri: str, hold: bool = True) -> None:
        """A driverless (IPP Everywhere) queue, e.g. in front of FakeIppPrinter."""
        opts = ["-o", "job-hold-until-default=indefinite"] if hold else []
        self.lpadmin("-p", name, "-E", "-v", uri, "-m", "everywhere", *opts)

    def error_log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ----- DNS-SD for ippeveprinter ------------------------------------------------------------

_DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_type="method_call"/>
    <allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""
_AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=no
publish-hinfo=no
publish-workstation=no
publish-domain=no
"""


class DnsSd:
    """A private D-Bus system bus plus avahi-daemon limited to lo.

    Debian's ippeveprinter refuses to start without DNS-SD. One instance per
    process (avahi keeps its pid file in /run/avahi-daemon), shared by refcount.
    """

    _lock = threading.Lock()
    _instance: "DnsSd | None" = None
    _users = 0

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ch-dnssd-"))
        self.sock = self.dir / "bus.sock"
        self.procs: list[Proc] = []
        self.use_system = False  # the machine's own avahi-daemon is running: use it
        self._host: Proc | None = None

    @property
    def env(self) -> dict:
        if self.use_system:
            return {}
        return {"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={self.sock}"}

    @staticmethod
    def system_avahi_running() -> bool:
        """A live avahi-daemon (e.g. the one Debian starts with systemd) owns the pid file."""
        try:
            pid = int(Path("/run/avahi-daemon/pid").read_text().split()[0])
            os.kill(pid, 0)
            return True
        except (OSError, ValueError, IndexError):
            return False

    def _start(self) -> None:
        if self.system_avahi_running():
            self.use_system = True
            return
        try:
            self._start_daemons()
        except BaseException:
            self._stop()  # never leave a dbus-daemon behind when avahi fails
            raise

    def _start_daemons(self) -> None:
        (self.dir / "bus.conf").write_text(_DBUS_CONF.format(sock=self.sock))
        (self.dir / "avahi.conf").write_text(_AVAHI_CONF)
        env = {**os.environ, **self.env}
        self.procs.append(Proc(["dbus-daemon", "--nofork", "--nopidfile",
                                f"--config-file={self.dir / 'bus.conf'}"],
                               self.dir / "dbus.log", env=env))
        wait_for(self.sock.exists, 10, what="private D-Bus socket")
        Path("/run/avahi-daemon").mkdir(parents=True, exist_ok=True)
        stale = Path("/run/avahi-daemon/pid")
        if stale.exists():
            stale.unlink()  # left by a dead avahi (checked above): it refuses to start over it
        avahi = Proc(["avahi-daemon", "-f", str(self.dir / "avahi.conf"), "--no-drop-root",
                      "--no-chroot", "--no-rlimits"], self.dir / "avahi.log", env=env)
        self.procs.append(avahi)
        wait_for(lambda: "Server startup complete" in avahi.output() or not avahi.alive(),
                 15, what="avahi start-up")
        if not avahi.alive():
            raise RuntimeError("avahi-daemon failed: " + avahi.output()[-500:])

    def publish_host(self) -> str:
        """Make this machine's mDNS host name resolve to 127.0.0.1 over lo (once).

        cupsd advertises its queues under avahi's host name, and avahi publishes no address
        records for the loopback interface: without this, ippfind finds a shared queue but
        cannot resolve it. Returns the host name.
        """
        host = socket.gethostname().split(".")[0] + ".local"
        with self._lock:
            if self._host is None:
                self._host = Proc(["avahi-publish", "-a", "-R", host, LOOPBACK],
                                  self.dir / "publish-host.log", env={**os.environ, **self.env})
                wait_for(lambda: "Established" in self._host.output()
                         or "collision" in self._host.output() or not self._host.alive(),
                         10, what="avahi-publish of the host name")
                # A collision: the name already resolves (someone publishes it); that is fine.
        return host

    def _stop(self) -> None:
        if self._host is not None:
            self._host.stop()
            self._host = None
        for proc in reversed(self.procs):
            proc.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @classmethod
    def acquire(cls) -> "DnsSd":
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
                cls._instance._start()
            cls._users += 1
            return cls._instance

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._users -= 1
            if cls._users == 0 and cls._instance is not None:
                cls._instance._stop()
                cls._instance = None


_PRINT_COMMAND = """#!/bin/sh
# Print command for ippeveprinter: plays the printer described by files in CTL.
CTL="{ctl}"
for r in $(cat "$CTL/reasons" 2>/dev/null); do echo "STATE: +$r" >&2; done
for r in $(cat "$CTL/cleared" 2>/dev/null); do echo "STATE: -$r" >&2; done
pages=$(cat "$CTL/pages" 2>/dev/null || echo 1)
delay=$(cat "$CTL/page_seconds" 2>/dev/null || echo 0)
i=1
while [ "$i" -le "$pages" ]; do
  sleep "$delay"
  echo "ATTR: job-impressions-completed=$i" >&2
  i=$((i + 1))
done
exit $(cat "$CTL/exit_code" 2>/dev/null || echo 0)
"""


class FakeIppPrinter:
    """ippeveprinter on 127.0.0.1 whose print command reports states and page counts.

    Write the control files with `set_pages`, `set_reasons`, `set_page_seconds`.
    """

    def __init__(self, workdir: Path | None = None, port: int | None = None,
                 name: str = "FakePrinter"):
        self.root = Path(workdir) if workdir else private_dir("ch-eve-")
        self.port = port or free_port()
        self.name = name
        self.ctl = self.root / "ctl"
        self.proc: Proc | None = None
        self._dnssd: DnsSd | None = None

    @property
    def uri(self) -> str:
        return f"ipp://localhost:{self.port}/ipp/print"

    def set_pages(self, n: int) -> None:
        (self.ctl / "pages").write_text(str(n))

    def set_page_seconds(self, seconds: float) -> None:
        (self.ctl / "page_seconds").write_text(str(seconds))

    def set_reasons(self, raised: list[str], cleared: list[str] = ()) -> None:
        """Reasons the next job reports, e.g. ["media-empty-error"]."""
        (self.ctl / "reasons").write_text(" ".join(raised))
        (self.ctl / "cleared").write_text(" ".join(cleared))

    def start(self) -> "FakeIppPrinter":
        self.ctl.mkdir(parents=True, exist_ok=True)
        (self.root / "spool").mkdir(exist_ok=True)
        self.ctl.chmod(0o777)
        script = self.root / "print-command.sh"
        script.write_text(_PRINT_COMMAND.format(ctl=self.ctl))
        script.chmod(0o755)
        self.set_pages(1)
        self._dnssd = DnsSd.acquire()
        env = {**os.environ, **self._dnssd.env}
        self.proc = Proc(["ippeveprinter", "-p", str(self.port), "-n", "localhost",
                          "-d", str(self.root / "spool"), "-c", str(script),
                          "-f", "application/pdf,image/pwg-raster,image/urf,image/jpeg",
                          self.name],
                         self.root / "ippeveprinter.log", env=env)
        wait_for_port(self.port, proc=self.proc.popen)
        return self

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
            self.proc = None
        if self._dnssd:
            DnsSd.release()
            self._dnssd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
