"""Central's HTTP server: login, the staff pages, the JSON API, reports and /metrics.

A route table maps (method, path pattern) to small functions taking a Request; access
is checked before the handler runs. Any error becomes a clear 4xx JSON answer.
"""
from __future__ import annotations

import gzip
import json
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from typing import Callable
from urllib.parse import parse_qs

from common.httpserve import ServeLimits, WsgiServer, read_body, request_headers

from protocol.vocabulary import COMMANDS, command_args_problems

from . import exporter, i18n, pages, queries, regions, reports, sentences
from .alerts import CENTRAL
from .fleet import fleet_summary
from .access import Access, HttpError, Request
from .database import ERRORS as DB_ERRORS, is_unavailable
from .queries import BadRequest

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
          "house.js": "text/javascript; charset=utf-8",
          "words.js": "text/javascript; charset=utf-8",
          "regions.js": "text/javascript; charset=utf-8"}
HELP_ACK = COMMANDS["help_ack"].name


@dataclass
class Deps:
    """What the web side may ask of the rest of central."""

    health: Callable[[], dict]
    alerts: Callable[[], list]
    send_command: Callable[[str, str, dict], str]
    ack_help: Callable[[str, str], tuple]
    cmd_result: Callable[[str], object] = lambda req_id: None


def reply(obj, status=HTTPStatus.OK):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return status, "application/json; charset=utf-8", body


class Web:
    def __init__(self, store, cfg, deps: Deps):
        self.store, self.cfg, self.deps = store, cfg, deps
        self.known = {h: e.name for h, e in cfg.houses.items()}
        self.places = {h: e.place() for h, e in cfg.houses.items()}
        self.registry = exporter.registry_for(self._snapshot)
        self.access = Access(cfg)
        self.cache_s = 1.0  # /api/houses answers are shared this long (dropped on any action)
        self._cache: dict[tuple, tuple[float, tuple]] = {}
        self.sessions = self.access.sessions
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        self._local = threading.local()
        r = re.compile
        H = r"(?P<house>[a-z0-9-]{1,32})"
        self.routes = [
            ("GET", r("/healthz"), self.healthz, "public"),
            ("GET", r("/login"), self.login_page, "public"),
            ("POST", r("/login"), self.login, "public"),
            ("GET", r("/static/(?P<name>[a-z.]+)"), self.static, "public"),
            ("POST", r("/logout"), self.logout, "viewer"),
            ("GET", r("/"), self.index, "viewer"),
            ("GET", r("/i18n.json"), lambda req: reply(i18n.bundle()), "viewer"),
            ("GET", r("/houses/" + H), self.house_page, "viewer"),
            ("GET", r("/api/session"), self.api_session, "viewer"),
            ("GET", r("/api/houses"), self.api_houses, "viewer"),
            ("GET", r("/api/houses/" + H), self.api_house, "viewer"),
            ("GET", r("/api/houses/" + H + "/series"), self.api_series, "viewer"),
            ("GET", r("/api/alerts"), lambda req: reply({"alerts": self.deps.alerts()}), "viewer"),
            ("GET", r("/api/report\\.(?P<fmt>csv|json)"), self.api_report, "viewer"),
            ("GET", r("/api/report/month"), self.api_report_month, "viewer"),
            ("GET", r("/api/commands/(?P<req_id>[0-9a-f]{1,64})"), self.api_cmd_result, "viewer"),
            ("GET", r("/metrics"), self.metrics, "viewer"),
            ("POST", r("/api/houses/" + H + "/help_ack"), self.api_help_ack, "operator"),
            ("POST", r("/api/houses/" + H + "/commands"), self.api_command, "operator"),
        ]
        w = cfg.web
        self.server = WsgiServer(self, w.host, w.port, "web", ServeLimits(
            threads=w.threads, connection_limit=w.connection_limit,
            idle_timeout=int(w.idle_timeout), max_body=MAX_BODY))

    def _db(self):
        """This request's read-only connection, borrowed from a pool.

        Handler threads are new for every request, so a per-thread connection would start
        with a cold page cache each time; pooled connections keep theirs warm.
        """
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = self._pool.get_nowait()
            except queue.Empty:
                db = self.store.open_reader()
            self._local.db = db
        return db

    def _release_db(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            self._local.db = None
            self._pool.put(db)

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    # ----- dispatch ---------------------------------------------------------------------
    def __call__(self, environ: dict, start_response) -> list[bytes]:
        """The WSGI entry: every request gets an answer, errors a clear 4xx/5xx JSON."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        extra: dict = {}
        try:
            if method not in ("GET", "HEAD", "POST"):
                raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} not allowed",
                                {"Allow": "GET, HEAD, POST"})
            req = Request("GET" if method == "HEAD" else method, path,
                          parse_qs(environ.get("QUERY_STRING", "")), request_headers(environ),
                          read_body(environ, MAX_BODY), environ.get("REMOTE_ADDR", ""))
            try:
                status, ctype, payload, *more = self.dispatch(req)
            finally:
                self._release_db()
            extra = more[0] if more else {}
        except HttpError as exc:
            status, ctype, payload = reply({"error": exc.message}, exc.status)
            extra = exc.headers
        except BadRequest as exc:
            status, ctype, payload = reply({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        except ValueError:
            status, ctype, payload = reply({"error": "bad request"}, HTTPStatus.BAD_REQUEST)
        except DB_ERRORS as exc:
            if is_unavailable(exc):  # a state the collector logs; no traceback per request
                log.debug("database unavailable on %s: %s", path, exc)
            else:
                log.exception("database error on %s", path)
            status, ctype, payload = reply({"error": "database unavailable"},
                                           HTTPStatus.SERVICE_UNAVAILABLE)
        except Exception:  # a bug: the client still gets an answer, the journal the details
            log.exception("request to %s failed", path)
            status, ctype, payload = reply({"error": "internal error"},
                                           HTTPStatus.INTERNAL_SERVER_ERROR)
        headers = [("Content-Type", ctype), ("Content-Length", str(len(payload))),
                   ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                   ("X-Frame-Options", "DENY"),
                   ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:;"
                    " style-src 'self'; frame-ancestors 'none'"),
                   ("Referrer-Policy", "same-origin")]
        for name, value in extra.items():
            headers += [(name, v) for v in (value if isinstance(value, list) else [value])]
        start_response(f"{int(status)} {HTTPStatus(status).phrase}", headers)
        return [payload]  # waitress sends no body for HEAD itself

    def dispatch(self, req: Request):
        allowed = [(m, p, f, a) for m, p, f, a in self.routes if p.fullmatch(req.path)]
        if not allowed:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such page: {req.path}")
        match = [r for r in allowed if r[0] == req.method]
        if not match:
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{req.method} not allowed here",
                            {"Allow": ", ".join(sorted({r[0] for r in allowed}))})
        _, pattern, func, access = match[0]
        req.params = pattern.fullmatch(req.path).groupdict()
        cookies = self.access.cookies(req)
        req.lang = i18n.pick(req.arg("lang") or cookies.get("lang") or self.cfg.web.language)
        if access != "public":
            req.session = self.access.authenticate(req, cookies)
            if req.method == "POST":
                self.access.check_csrf(req)
            if access == "operator" and not req.session.may_act:
                raise HttpError(HTTPStatus.FORBIDDEN, "your role may only view")
        if req.method == "POST":
            self.access.check_origin(req)
        if "house" in req.params:
            self._check_house(req.params["house"])
        answer = func(req)
        if req.method == "POST":
            self._cache.clear()  # the next poll shows the effect of this action
        return answer

    def _check_house(self, house: str) -> None:
        if house in self.known:
            return
        row = self._db().execute("SELECT 1 FROM houses WHERE house = ?",
                                          (house,)).fetchone()
        if row is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"unknown house: {house}")

    # ----- handlers ---------------------------------------------------------------------
    def healthz(self, req):
        """200 when all is well; 503 with the reason when the broker or ingest is down."""
        info = self.deps.health()
        self._db().execute("SELECT 1").fetchone()
        ok = info.get("status") == "ok"
        return reply(info, HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)

    def static(self, req):
        name = req.params["name"]
        if name not in STATIC:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such file: {name}")
        data = resources.files("central").joinpath(f"static/{name}").read_bytes()
        return HTTPStatus.OK, STATIC[name], data

    def login_page(self, req, error: str = "", status=HTTPStatus.OK):
        return status, "text/html; charset=utf-8", pages.login(req.lang, error)

    def login(self, req):
        form = req.form()
        user, password = form.get("user", "").strip(), form.get("password", "")
        try:
            ok = self.access.check_login(req, user, password)
        except HttpError as exc:
            if exc.status != HTTPStatus.TOO_MANY_REQUESTS:
                raise
            status, ctype, body = self.login_page(req, i18n.t(req.lang, "dashboard.too_many"),
                                                  HTTPStatus.TOO_MANY_REQUESTS)
            return status, ctype, body, exc.headers
        if not ok:
            return self.login_page(req, i18n.t(req.lang, "dashboard.bad_login"),
                                   HTTPStatus.UNAUTHORIZED)
        s = self.sessions.create(user, self.cfg.users[user].role, time.monotonic())
        log.info("staff login (%s)", s.role)
        flags = "; HttpOnly; SameSite=Strict; Path=/" + ("; Secure" if self.cfg.web.cookie_secure
                                                         else "")
        return (HTTPStatus.SEE_OTHER, "text/plain", b"",
                {"Set-Cookie": f"ch_session={s.token}{flags}", "Location": "/"})

    def logout(self, req):
        self.sessions.drop(req.session.token)
        return (HTTPStatus.SEE_OTHER, "text/plain", b"",
                {"Set-Cookie": "ch_session=; Max-Age=0; Path=/", "Location": "/login"})

    def index(self, req):
        demo = queries.demo_seed(self._db()) is not None
        return HTTPStatus.OK, "text/html; charset=utf-8", pages.overview(req.lang, demo)

    def api_session(self, req):
        s = req.session
        return reply({"user": s.user, "role": s.role, "csrf": s.csrf, "lang": req.lang})

    def _cards(self, only: str | None = None, with_metrics: bool = True):
        cards = queries.house_cards(self._db(), int(time.time() * 1000), self.known,
                                    self.cfg.web.heartbeat_stale, self.deps.alerts(), only,
                                    with_metrics)
        for card in cards:
            card["place"] = regions.place_of(self.places, card["house"])
        return cards

    def api_houses(self, req):
        try:  # checked against the config, so the cache below has a bounded number of keys
            chosen = regions.place_filter({lv: req.arg(lv) for lv in regions.LEVELS}, self.places)
        except regions.UnknownPlace as exc:
            raise BadRequest(str(exc)) from None
        # Every open page polls this: one answer serves all staff for `cache_s` seconds.
        key = (req.arg("metrics") == "1", tuple(sorted(chosen.items())))
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached[0] < self.cache_s:
            return cached[1]
        # The page does not need every raw metric: leaving them out saves encoding time.
        now = int(time.time() * 1000)
        cards = [c for c in self._cards(with_metrics=key[0]) if regions.matches(c["place"], chosen)]
        tz_name = queries.stored_timezone(self._db())
        answer = reply({"now": now, "houses": cards,
                        # Alerts about central itself (ingest stalled) belong to no house card.
                        "central_alerts": [a for a in self.deps.alerts()
                                           if a["house"] == CENTRAL],
                        # The summary follows the filter: it totals the houses shown.
                        "summary": fleet_summary(cards),
                        "zone": {"name": tz_name, "offset": sentences.utc_offset(tz_name, now)},
                        "filter": chosen, "regions": regions.totals(cards),
                        "places": regions.known_places(self.places)})
        self._cache[key] = (time.monotonic(), answer)
        return answer

    def api_house(self, req):
        house, db = req.params["house"], self._db()
        now = int(time.time() * 1000)
        card = self._cards(house)[0]
        card["events"] = [{**e, "text": sentences.event_sentence(req.lang, e["type"], e["data"])}
                          for e in queries.recent_events(db, house, 50)]
        card["outages"] = queries.outages(db, house, now - 30 * 86_400_000)
        return reply(card)

    def house_page(self, req):
        house, db = req.params["house"], self._db()
        card = self._cards(house)[0]
        body = pages.house(req.lang, card, db, int(time.time() * 1000),
                           fragment=req.arg("fragment") == "1")
        return HTTPStatus.OK, "text/html; charset=utf-8", body

    def api_series(self, req):
        metric, step = req.arg("metric"), req.arg("step", "hour")
        if not metric:
            raise BadRequest("metric is required")
        if step not in ("hour", "day", "raw"):
            raise BadRequest("step must be hour, day or raw")
        db = self._db()
        start, end = queries.time_range(req.arg("from"), req.arg("to"),
                                        queries.stored_timezone(db), int(time.time() * 1000),
                                        7 if step != "day" else 30, queries.max_days(step))
        points = queries.series(db, req.params["house"], metric, start, end, step)
        return reply({"house": req.params["house"], "metric": metric, "step": step,
                      "from": start, "to": end, "points": points})

    def api_report(self, req):
        return reports.http(self._db(), req.arg("from"), req.arg("to"),
                            req.arg("house"), req.params["fmt"], req.arg("summary") == "month",
                            self.known)

    def api_report_month(self, req):
        """?month=YYYY-MM&format=xlsx|pdf: the monthly report as a file to download."""
        try:
            return reports.http_month(self._db(), req.arg("month"), req.arg("format", "pdf"),
                                      self.cfg.houses, req.lang)
        except reports.ReportUnavailable as exc:
            log.warning("monthly report unavailable: %s", exc)
            return reply({"error": str(exc)}, HTTPStatus.SERVICE_UNAVAILABLE)

    def api_cmd_result(self, req):
        """A command central sent (central/sent.py): pending, or its house's answer."""
        req_id = req.params["req_id"]
        sent = self.deps.cmd_result(req_id)
        if sent is None:
            raise HttpError(HTTPStatus.NOT_FOUND, "no such command (unknown or forgotten)")
        answer = {"req_id": req_id, "house": sent.house, "name": sent.name,
                  "done": sent.result is not None}
        if sent.result is not None:
            answer.update(ok=sent.result.ok, detail=sent.result.detail)
        return reply(answer)

    def metrics(self, req):
        """Prometheus's view (central/exporter.py), in the format its Accept header asks for."""
        body, content_type = exporter.exposition(self.registry, req.headers.get("Accept"))
        if "gzip" in (req.headers.get("Accept-Encoding") or ""):  # Prometheus asks: ~35x smaller
            return (HTTPStatus.OK, content_type, gzip.compress(body, 6),
                    {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return HTTPStatus.OK, content_type, body

    def _snapshot(self) -> exporter.Snapshot:
        """One scrape's values, read on the scraping request's own connection."""
        return exporter.Snapshot(self._cards(), self.deps.alerts(), self.places, self.known,
                                 self.deps.health())

    def api_help_ack(self, req):
        house = req.params["house"]
        try:
            count, request = self.deps.ack_help(house, req.session.user)
        except TimeoutError:  # the writer is behind; nothing was changed
            return reply({"error": "central is busy storing; try again in a moment"},
                         HTTPStatus.SERVICE_UNAVAILABLE)
        # Naming the request keeps an old acknowledgement from answering a newer call.
        req_id = self.deps.send_command(house, HELP_ACK,
                                        {} if request is None else {"request": request})
        log.info("HELP at %s acknowledged from the dashboard", house)
        return reply({"house": house, "acknowledged": count, "req_id": req_id})

    def api_command(self, req):
        """Any command of the vocabulary, its arguments checked before it is sent."""
        try:
            body = json.loads(req.body or b"{}")
        except json.JSONDecodeError:
            raise BadRequest("body must be JSON: {\"name\": …, \"args\": {…}}") from None
        if not isinstance(body, dict) or not isinstance(body.get("args", {}), dict):
            raise BadRequest("body must be {\"name\": …, \"args\": {…}}")
        name, args = body.get("name"), body.get("args", {})
        problems = command_args_problems(name, args)
        if problems:
            return reply({"error": "; ".join(problems), "problems": problems},
                         HTTPStatus.BAD_REQUEST)
        req_id = self.deps.send_command(req.params["house"], name, args)
        return reply({"house": req.params["house"], "name": name, "req_id": req_id},
                     HTTPStatus.ACCEPTED)
