"""Central with staff logins, an HTTP client that keeps cookies, and scripted houses."""
from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from central import auth
from central import config as central_config
from central.app import PARTS, Central
from harness.edgeproc import write_central_config
from harness.fakehouse import FakeHouse
from harness.procs import free_port, wait_for

PASSWORDS = {"viewer": "viewer-pass-1", "operator": "operator-pass-1"}


@pytest.fixture(scope="session")
def user_tables() -> dict:
    """[users.*] tables for a viewer and an operator (hashed once per session)."""
    return {name: {"role": name, "password_hash": auth.hash_password(pw)}
            for name, pw in PASSWORDS.items()}


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    """urllib with a cookie jar; never follows redirects so tests can see them."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect)
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Reply:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=20) as resp:
                return Reply(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, **headers) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, obj=None, csrf: str | None = None, **headers) -> Reply:
        token = self.csrf if csrf is None else csrf
        if token:
            headers["X-CSRF-Token"] = token
        headers.setdefault("Content-Type", "application/json")
        return self.request("POST", path, json.dumps(obj or {}).encode(), headers)

    def login(self, user: str, password: str | None = None) -> Reply:
        form = f"user={user}&password={password or PASSWORDS[user]}".encode()
        reply = self.request("POST", "/login", form,
                             {"Content-Type": "application/x-www-form-urlencoded"})
        if reply.status == 303:
            self.csrf = self.get("/api/session").json()["csrf"]
        return reply


@pytest.fixture
def make_central(tmp_path, broker, user_tables, central_db):
    """Start Central in-process with users configured; extra config sections as keywords."""
    started = []

    def start(parts: tuple[str, ...] = PARTS, **sections) -> Central:
        sections.setdefault("users", user_tables)
        path = write_central_config(tmp_path / f"central{len(started)}.toml", broker.port,
                                    central_db, free_port(), **sections)
        app = Central(central_config.load(path), parts)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        started.append((app, thread))
        wait_for(lambda: (app.collector or app.link).connected, 10,
                 what="central connected to the broker")
        return app

    yield start
    for app, thread in started:
        app.request_stop("test over")
        thread.join(5)


@pytest.fixture
def dashboard(make_central):
    return make_central()


@pytest.fixture
def client(dashboard):
    return Client(f"http://127.0.0.1:{dashboard.web.port}")


@pytest.fixture
def client_for():
    """A client for a central started with make_central."""
    return lambda app: Client(f"http://127.0.0.1:{app.web.port}")


@pytest.fixture
def houses(broker):
    """Make scripted houses on the test broker; they disconnect after the test."""
    made = []

    def make(house: str) -> FakeHouse:
        h = FakeHouse(broker.port, house)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
