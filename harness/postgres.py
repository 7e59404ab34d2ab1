"""A private PostgreSQL server for tests and benchmarks: its own temp dir, port and socket.

initdb refuses root, so the cluster belongs to the `postgres` system user (Debian's
postgresql package makes it); the server runs as that user and is stopped by its pid.
Each test gets its own database, copied from a template that central's migrations have
already brought up to date (CREATE DATABASE … TEMPLATE is fast).
"""
from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .procs import LOOPBACK, free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OWNER = "postgres"
TEMPLATE = "central_template"


def pg_binary(name: str) -> str:
    found = PG_BIN / name
    if found.exists():
        return str(found)
    return shutil.which(name) or name


class PostgresServer:
    """initdb into a temp dir owned by `postgres`, serve on 127.0.0.1:port and a socket there."""

    def __init__(self, port: int | None = None, root: Path | None = None, durable: bool = False):
        """`durable`: fsync as in production (benchmarks); tests run without it."""
        self.port = port or free_port()
        self.durable = durable
        self.root = Path(root or tempfile.mkdtemp(prefix="ch-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.popen: subprocess.Popen | None = None
        self._names = itertools.count(1)
        self._user = pwd.getpwnam(OWNER) if os.geteuid() == 0 else None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{OWNER}@{LOOPBACK}:{self.port}/{database}"

    def _as_owner(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def start(self) -> "PostgresServer":
        if not self.data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            if self._user is not None:
                os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
            subprocess.run([pg_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", OWNER,
                            "-E", "UTF8", "--locale=C", "--no-sync"], check=True,
                           capture_output=True, timeout=120, **self._as_owner())
        log = open(self.log_path, "ab")
        # fsync off: a test machine's crash loses nothing that matters; a killed server
        # still loses no committed row (the WAL is written before COMMIT returns).
        fast = [] if self.durable else ["-c", "fsync=off", "-c", "full_page_writes=off"]
        self.popen = subprocess.Popen(
            [pg_binary("postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", str(self.root), "-c", f"listen_addresses={LOOPBACK}", *fast,
             "-c", "max_connections=300", "-c", "shared_buffers=128MB"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, **self._as_owner())
        log.close()
        wait_for_port(self.port, 30, self.popen)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:  # starting up, or recovering after a kill
                if time.monotonic() > deadline or self.popen.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> None:
        """SIGINT is PostgreSQL's fast shutdown; SIGQUIT its immediate one (a crash, as seen
        by clients: recovery replays the WAL at the next start)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.kill(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def restart(self, sig: int = signal.SIGINT, down_for: float = 0.0) -> None:
        self.stop(sig)
        time.sleep(down_for)
        self.start()

    def admin(self, sql: str) -> None:
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql)

    def make_template(self, prepare) -> None:
        """Create the template database and let `prepare(url)` fill it (migrations)."""
        self.admin(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        prepare(self.url(TEMPLATE))

    def new_database(self, prefix: str = "t") -> str:
        """A fresh database copied from the template (or empty without one); its URL."""
        import psycopg
        name = f"{prefix}{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            has_template = con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                       (TEMPLATE,)).fetchone()
            con.execute(f"CREATE DATABASE {name}"
                        + (f" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY" if has_template else ""))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
