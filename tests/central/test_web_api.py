"""The JSON API, login, roles and CSRF against a running central fed by a real broker."""
from __future__ import annotations

import gzip
import json
import queue

import pytest

import protocol
from harness.procs import wait_for
from protocol.vocabulary import COMMANDS

PROTECTED = ["/", "/api/houses", "/api/houses/house-01", "/api/alerts", "/metrics",
             "/api/houses/house-01/series?metric=print.pages", "/api/report.csv",
             "/houses/house-01", "/i18n.json", "/api/session"]


def stored(client, house, pred, what):
    return wait_for(lambda: next((h for h in client.get("/api/houses?metrics=1").json()["houses"]
                                  if h["house"] == house and pred(h)), None), 15, what=what)


def test_healthz_is_reachable_without_login(client):
    reply = client.get("/healthz")
    assert reply.status == 200 and reply.json()["broker"] is True


@pytest.mark.parametrize("path", PROTECTED)
def test_nothing_else_is_reachable_without_login(client, path):
    reply = client.get(path)
    assert reply.status in (303, 401)
    assert b"house-01" not in reply.body


def test_pages_redirect_to_the_login_form(client):
    reply = client.get("/")
    assert reply.status == 303 and reply.headers["Location"] == "/login"
    assert client.get("/login").status == 200


def test_login_with_the_right_password_opens_the_api(client):
    assert client.login("viewer").status == 303
    assert client.get("/api/houses").status == 200


def test_a_wrong_password_is_refused(client):
    assert client.login("viewer", "not-the-password").status == 401
    assert client.get("/api/houses").status == 401


def test_failed_logins_are_rate_limited_even_with_the_right_password_after(client):
    for _ in range(5):
        assert client.login("operator", "guess").status == 401
    reply = client.login("operator")
    assert reply.status == 429 and int(reply.headers["Retry-After"]) > 0


def test_session_cookie_is_http_only_and_same_site(client):
    cookie = client.login("viewer").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_actions_need_the_csrf_token(client, houses):
    houses("house-01").online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    assert client.post("/api/houses/house-01/help_ack", csrf="").status == 403
    assert client.post("/api/houses/house-01/help_ack", csrf="wrong").status == 403
    assert client.post("/api/houses/house-01/help_ack").status == 200


def test_a_post_from_another_site_is_refused(client, houses):
    houses("house-01").online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.post("/api/houses/house-01/help_ack", Origin="http://evil.example")
    assert reply.status == 403


def test_read_only_staff_cannot_acknowledge(client, houses):
    houses("house-01").online()
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.post("/api/houses/house-01/help_ack")
    assert reply.status == 403 and "view" in reply.json()["error"]


def test_acknowledging_help_sends_help_ack_to_the_house(client, houses):
    house = houses("house-01")
    house.online()
    house.event("help.requested", {"request": 3})
    client.login("operator")
    stored(client, "house-01", lambda h: h["help"], "help request shown")
    assert client.post("/api/houses/house-01/help_ack").json()["acknowledged"] == 1
    topic, payload = house.commands.get(timeout=10)
    assert topic.endswith("/house-01/cmd/help_ack")
    assert protocol.parse_command("help_ack", payload).args == {"request": 3}
    assert client.get("/api/houses/house-01").json()["help"] == []


def test_commands_outside_the_allowed_list_are_refused(client, houses):
    house = houses("house-01")
    house.online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    assert client.post("/api/houses/house-01/commands", {"name": "reboot"}).status == 400
    assert client.post("/api/houses/house-01/commands", {"name": "ping"}).status == 202
    assert house.commands.get(timeout=10)[0].endswith("/cmd/ping")


# The least each command needs; a test below keeps this in step with the vocabulary.
SAMPLE_ARGS = {"press": {"button": "print", "seconds": 0.2}, "resend": {"from": 1, "to": 2},
               "release_job": {"job": 12}, "cancel_job": {"job": 12}, "help_ack": {"request": 3}}


def test_every_command_of_the_vocabulary_can_be_sent_from_the_api(client, houses):
    house = houses("house-01")
    house.online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    assert set(SAMPLE_ARGS) <= set(COMMANDS)
    for name in COMMANDS:
        reply = client.post("/api/houses/house-01/commands",
                            {"name": name, "args": SAMPLE_ARGS.get(name, {})})
        assert reply.status == 202, (name, reply.json())
        topic, payload = house.commands.get(timeout=10)
        assert topic.endswith(f"/cmd/{name}")
        assert protocol.parse_command(name, payload).args == SAMPLE_ARGS.get(name, {})


@pytest.mark.parametrize("body, problems", [
    ({"name": "release_job", "args": {"job": "12"}}, ["job: expected an integer"]),
    ({"name": "release_job"}, ["job: required"]),
    ({"name": "cancel_job", "args": {"job": 0, "why": "x"}},
     ["why: not an argument of cancel_job", "job: out of range: expected int ≥ 1"]),
    ({"name": "press", "args": {"button": "reboot"}},
     ["button: expected one of print|scan|copy|help"]),
    ({"name": "resend", "args": {"from": 1, "to": 10**20}}, ["to: number out of range"]),
])
def test_command_arguments_are_checked_before_anything_is_sent(client, houses, body, problems):
    house = houses("house-01")
    house.online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.post("/api/houses/house-01/commands", body)
    assert reply.status == 400 and reply.json()["problems"] == problems
    with pytest.raises(queue.Empty):
        house.commands.get(timeout=0.5)


def test_a_command_body_that_is_not_an_object_gets_a_400(client, houses):
    houses("house-01").online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    for body in ([1, 2], {"name": "ping", "args": [1]}, "ping"):
        reply = client.post("/api/houses/house-01/commands", body)
        assert reply.status == 400 and reply.json()["error"]


def test_basic_auth_reads_but_cannot_act(client, houses):
    import base64
    houses("house-01").online()
    token = "Basic " + base64.b64encode(b"operator:operator-pass-1").decode()
    assert client.get("/metrics", Authorization=token).status == 200
    wait_for(lambda: client.get("/api/houses/house-01", Authorization=token).status == 200, 10,
             what="house known")
    reply = client.post("/api/houses/house-01/help_ack", csrf="", Authorization=token)
    assert reply.status == 403


@pytest.mark.parametrize("path, status", [
    ("/api/houses/house-99", 404),
    ("/api/houses/house-99/series?metric=print.pages", 404),
    ("/api/houses/house-01/series?metric=print.pages&from=yesterday", 400),
    ("/api/houses/house-01/series?metric=print.pages&from=2026-11-10&to=2026-11-01", 400),
    ("/api/houses/house-01/series?metric=print.pages&from=2020-01-01&to=2026-01-01", 400),
    ("/api/houses/house-01/series?metric=no.such&step=day", 400),
    ("/api/houses/house-01/series?metric=print.pages&step=week", 400),
    ("/api/houses/house-01/series", 400),
    ("/api/report.csv?from=2026-13-01", 400),
    ("/api/report.csv?from=2026-11-10&to=2026-11-01", 400),
    ("/api/report.csv?from=1990-01-01&to=2026-01-01", 400),
    ("/api/report.csv?house=house-99", 400),
    ("/no/such/page", 404),
])
def test_bad_input_gets_a_clear_4xx_message(client, houses, path, status):
    houses("house-01").online()
    client.login("viewer")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.get(path)
    assert reply.status == status
    assert reply.json()["error"]


def test_house_card_shows_printer_reasons_queue_scanner_and_wifi(client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"print.state": "stopped", "print.reasons": ["media-empty-error"],
                     "print.queue.held": 2, "print.queue.pending": 1, "scan.state": "ready",
                     "wifi.clients": 7})
    client.login("viewer")
    card = stored(client, "house-01", lambda h: h["wifi_now"] == 7, "telemetry shown")
    assert card["printer"] == {"state": "stopped", "reasons": ["media-empty-error"], "held": 2,
                               "pending": 1}
    assert card["scanner"]["state"] == "ready" and card["online"] is True


def test_today_figures_count_pages_scans_and_copies(client, houses):
    house = houses("house-01")
    house.online()
    for job, pages in ((11, 3), (12, 4)):
        house.event("print.job_completed", {"job": job, "pages": pages})
    house.event("scan.completed", {"purpose": "scan", "preset": "default", "pages": 2,
                                   "bytes": 1000, "seconds": 3})
    house.event("copy.completed", {"pages": 1, "copy_id": "a1b2c3"})
    client.login("viewer")
    card = stored(client, "house-01", lambda h: h["today"]["copies"] == 1, "figures")
    assert card["today"]["pages"] == 7 and card["today"]["scans"] == 1


def test_series_gives_hourly_buckets_with_zeros(client, houses):
    house = houses("house-01")
    house.online()
    house.event("print.job_completed", {"job": 5, "pages": 5})
    client.login("viewer")
    stored(client, "house-01", lambda h: h["today"]["pages"] == 5, "figures")
    points = client.get("/api/houses/house-01/series?metric=print.pages").json()["points"]
    assert len(points) in (168, 169) and sum(v for _, v in points) == 5
    assert points[-1][1] == 5


def test_stopped_service_is_told_apart_from_a_lost_house(client, houses):
    a, b = houses("house-01"), houses("house-02")
    a.online()
    b.online()
    a.offline("stopped")
    b.offline("lost")
    client.login("viewer")
    assert stored(client, "house-01", lambda h: not h["online"], "offline")["cause"] == "stopped"
    assert stored(client, "house-02", lambda h: not h["online"], "offline")["cause"] == "lost"


def test_a_house_back_with_a_new_boot_and_short_uptime_had_a_power_cut(client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"sys.uptime_s": 5000})
    house.offline("lost")
    house.new_boot()
    house.online()
    house.telemetry({"sys.uptime_s": 20})
    client.login("viewer")
    card = stored(client, "house-01", lambda h: h["back_after"], "outage classified")
    assert card["back_after"]["cause"] == "power_cut"


def test_a_house_back_with_the_same_boot_had_a_network_loss(client, houses):
    house = houses("house-01")
    house.online()
    house.offline("lost")
    house.online()
    client.login("viewer")
    card = stored(client, "house-01", lambda h: h["back_after"], "outage classified")
    assert card["back_after"]["cause"] == "network_loss"


def test_metrics_are_in_prometheus_text_format(client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"sys.load1": 0.5, "print.jobs.total": 12, "print.state": "idle"})
    client.login("viewer")
    stored(client, "house-01", lambda h: h["metrics"].get("sys.load1") == 0.5, "telemetry")
    reply = client.get("/metrics")
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = reply.body.decode()
    at = 'commune="",district="",house="house-01",province=""'  # not placed in the config
    assert f"culturehouse_sys_load1{{{at}}} 0.5" in text
    assert "# HELP culturehouse_sys_load1 load average over one minute" in text
    assert "# TYPE culturehouse_print_jobs_total counter" in text
    assert f"culturehouse_print_jobs_total{{{at}}} 12.0" in text
    assert f'culturehouse_print_state{{{at},state="idle"}} 1.0' in text
    assert f"culturehouse_house_online{{{at}}} 1.0" in text


def test_metrics_are_compressed_for_a_scraper_that_accepts_gzip(client, houses):
    houses("house-01").online()
    client.login("viewer")
    stored(client, "house-01", lambda h: h["online"], "house online")
    reply = client.get("/metrics", **{"Accept-Encoding": "gzip",
                                      "Accept": "application/openmetrics-text;version=1.0.0"})
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Content-Type"].startswith("application/openmetrics-text")
    text = gzip.decompress(reply.body).decode()
    assert 'culturehouse_house_online{' in text and text.endswith("# EOF\n")


def test_unknown_keys_in_the_json_body_of_a_command_are_refused(client, houses):
    houses("house-01").online()
    client.login("operator")
    wait_for(lambda: client.get("/api/houses/house-01").status == 200, 10, what="house known")
    reply = client.request("POST", "/api/houses/house-01/commands", b"{not json",
                           {"X-CSRF-Token": client.csrf})
    assert reply.status == 400 and "JSON" in reply.json()["error"]


def test_report_csv_has_one_row_per_house_per_day(client, houses):
    house = houses("house-01")
    house.online()
    house.event("print.job_completed", {"job": 2, "pages": 2})
    house.event("help.requested", {"request": 1})
    client.login("viewer")
    stored(client, "house-01", lambda h: h["today"]["pages"] == 2, "figures")
    lines = client.get("/api/report.csv").body.decode().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["day", "house", "pages_printed"]
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert len(rows) == 30
    assert sum(int(r["pages_printed"]) for r in rows) == 2
    assert sum(int(r["help_requests"]) for r in rows) == 1


def test_logout_ends_the_session(client):
    client.login("viewer")
    assert client.post("/logout").status == 303
    assert client.get("/api/houses").status == 401


def test_alerts_are_published_retained_on_the_central_alerts_topic(make_central, broker, houses):
    import paho.mqtt.client as mqtt
    app = make_central(alerts={"interval": "1s", "printer_after": "0s"})
    house = houses("house-01")
    house.online()
    house.telemetry({"print.state": "stopped", "print.reasons": ["media-jam-error"]})
    wait_for(lambda: app.monitor.open(), 15, what="alert raised")
    got: queue.Queue = queue.Queue()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = lambda c, u, m: got.put((m.retain, m.payload))
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe(protocol.Topics().central_alerts(), qos=1)
    sub.loop_start()
    try:
        retained, payload = got.get(timeout=10)
    finally:
        sub.loop_stop()
        sub.disconnect()
    alerts = protocol.parse_central_alerts(payload).alerts
    assert retained and alerts[0].kind == "printer.attention"
    assert "Kẹt giấy" in alerts[0].text and "Paper jam" in alerts[0].text_en


def test_alerts_are_posted_to_the_webhook(make_central, houses):
    import http.server
    import threading
    got: queue.Queue = queue.Queue()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        make_central(alerts={"interval": "1s", "scanner_after": "0s",
                             "webhook_url": f"http://127.0.0.1:{server.server_port}/hook"})
        house = houses("house-01")
        house.online()
        house.telemetry({"scan.state": "missing"})
        body = got.get(timeout=15)
    finally:
        server.shutdown()
        server.server_close()
    assert body["alerts"][0]["change"] == "raised"
    assert body["alerts"][0]["kind"] == "scanner.missing"
    assert body["alerts"][0]["text"] == "house-01: không thấy máy quét"


def test_the_house_list_leaves_raw_metrics_out_unless_asked(client, houses):
    house = houses("house-01")
    house.online()
    house.telemetry({"sys.load1": 0.25})
    client.login("viewer")
    stored(client, "house-01", lambda h: h["metrics"].get("sys.load1") == 0.25, "telemetry")
    assert "metrics" not in client.get("/api/houses").json()["houses"][0]
    assert client.get("/api/houses/house-01").json()["metrics"]["sys.load1"] == 0.25
