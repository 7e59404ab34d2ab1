"""Shared fixtures: real mosquitto, cupsd, ippeveprinter and SANE test backend on loopback."""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from harness.sane import use_test_backend

# Before anything imports and initialises libsane: only the `test` backend.
SANE_DIR = use_test_backend(Path(tempfile.mkdtemp(prefix="ch-sane-")))

from harness.cups import CupsServer, FakeIppPrinter  # noqa: E402
from harness.edgeproc import write_edge_config  # noqa: E402
from harness.mosquitto import MosquittoBroker  # noqa: E402
from harness.procs import free_port, wait_for  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TEST_USER, TEST_PASSWORD = "test", "test-pass-1"  # the operator login of `central_app`
EXIT_STATUS = pytest.StashKey[int]()
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def sigpipe_ignored():
    """libsane resets SIGPIPE to its default (death) when a test scans in this process; a
    later write to a closed socket would then end the whole run (exit 141)."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


@pytest.fixture
def broker(tmp_path):
    """A private mosquitto on 127.0.0.1 with a free port, anonymous access."""
    with MosquittoBroker(tmp_path / "mosquitto") as b:
        yield b


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL for the whole session, with a template database central's
    migrations and partitions are already in (each test's database is a copy)."""
    from central.store import Store
    from harness.postgres import PostgresServer
    server = PostgresServer().start()
    server.make_template(lambda url: Store(url).close())
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def central_db(request, tmp_path):
    """Where the test's central keeps its data: a SQLite file, or a fresh PostgreSQL
    database (a URL). Tests that ask for it run on both (see pytest_generate_tests)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield tmp_path / "central.sqlite"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def central_dbs(request, central_db, tmp_path):
    """More databases on central_db's backend, each new: `central_dbs("name")`."""
    made: list[str] = []
    server = None if not isinstance(central_db, str) else \
        request.getfixturevalue("postgres_server")

    def make(name: str = "c"):
        assert name.isidentifier() or name.replace("-", "_").isidentifier(), name  # a file name
        if server is None:
            path = tmp_path / f"{name}-{len(made)}.sqlite"
            made.append(str(path))
            return path
        made.append(server.new_database())
        return made[-1]

    yield make
    if server is not None:
        for url in made:
            server.drop_database(url)


def pytest_generate_tests(metafunc):
    """Every test of central's store runs on SQLite and on PostgreSQL (ids `sqlite`,
    `postgres`), except browser tests (slow; the pages read the same JSON) and tests
    marked sqlite_only (they drive SQLite itself: file size limits, PRAGMAs)."""
    if "central_db" not in metafunc.fixturenames:
        return
    one = metafunc.definition.get_closest_marker("sqlite_only") or \
        any(name.startswith("browser") for name in metafunc.fixturenames)
    metafunc.parametrize("central_db", ["sqlite"] if one else ["sqlite", "postgres"],
                         indirect=True)


@pytest.fixture(scope="session")
def cups_server():
    """A private cupsd for the whole session; tests make their own queues in it."""
    server = CupsServer().start()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def fake_printer():
    """An ippeveprinter fake IPP printer (states and page counts on demand)."""
    printer = FakeIppPrinter().start()
    yield printer
    printer.stop()
    shutil.rmtree(printer.root, ignore_errors=True)


@pytest.fixture
def mock_pins():
    """gpiozero's MockFactory (PWM-capable pins), closed after the test."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()
    Device.pin_factory = None


@pytest.fixture
def edge_config(tmp_path, broker):
    """Write a minimal edge config for house-01 pointing at `broker`; returns a writer."""
    def make(house: str = "house-01", **sections) -> Path:
        return write_edge_config(tmp_path / f"{house}.toml", house, broker.port,
                                 tmp_path / f"state-{house}", **sections)
    return make


@pytest.fixture
def edge_process(tmp_path):
    """Start real `python -m edge run` processes; each is stopped by its pid after the test."""
    from harness.edgeproc import start_edge
    started = []

    def start(config: Path, name: str = "edge"):
        proc = start_edge(config, tmp_path / f"{name}-{len(started)}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def run_in_thread():
    """Run objects with run()/request_stop() in threads; stop them all after the test."""
    started = []

    def start(obj):
        thread = threading.Thread(target=obj.run, daemon=True)
        thread.start()
        started.append((obj, thread))
        return obj

    yield start
    for obj, thread in started:
        obj.request_stop("test over")
        thread.join(5)


@pytest.fixture
def central_app(tmp_path, broker, central_db):
    """Central (collector + web) running in this process against `broker`; returns it."""
    from central import config as central_config
    from central.app import Central
    from central.auth import hash_password
    from harness.edgeproc import write_central_config

    users = {TEST_USER: {"role": "operator", "password_hash": hash_password(TEST_PASSWORD)}}
    path = write_central_config(tmp_path / "central.toml", broker.port, central_db, free_port(),
                                users=users)
    app = Central(central_config.load(path))
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    wait_for(lambda: app.collector.connected, 10, what="central connected to the broker")
    yield app
    app.request_stop("test over")
    thread.join(5)


# Fixtures that start a real server, device backend or daemon: a test that uses one is an
# integration test; every other test is pure (plain values, in-process, well under a second).
REAL_FIXTURES = frozenset({
    "broker", "cups_server", "fake_printer", "printer", "cupsd", "print_cfg", "edge_config",
    "edge_process", "central_app", "make_central", "dashboard", "client", "houses",
    "sane_devices", "agent_factory", "agent", "browser", "demo", "hostapd", "fake_hostapd",
    "central_venv", "edge_venv",
})


def pytest_collection_modifyitems(config, items):
    """Mark each test `integration` or `pure` (`pytest -m pure` runs the fast part alone).

    A module may also say `pytestmark = pytest.mark.integration` when its tests start real
    components without these fixtures.
    """
    for item in items:
        on_postgres = getattr(getattr(item, "callspec", None), "params", {}).get(
            "central_db") == "postgres"
        if item.get_closest_marker("integration") is None and not on_postgres and \
                REAL_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pure)
        elif item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.integration)


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without the interpreter's C-level teardown once everything is reported.

    libsane's test backend cancels its reader thread asynchronously; rarely that thread
    dies holding glibc's locale lock, and libp11-kit's destructor (loaded with pycups)
    then waits on it forever at exit, after every test has passed. Every process and
    server the tests started is stopped by now.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash.get(EXIT_STATUS, 0))
