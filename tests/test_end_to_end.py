"""Walking skeleton: a real edge process → real mosquitto → central → /api/houses."""
import base64
import json
import signal
import time
import urllib.request

from tests.conftest import TEST_PASSWORD, TEST_USER
from harness.edgeproc import start_central, write_central_config
from harness.procs import free_port, wait_for

KEEPALIVE = 5.0  # seconds, as in write_edge_config


AUTH = "Basic " + base64.b64encode(f"{TEST_USER}:{TEST_PASSWORD}".encode()).decode()


def houses(port: int) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/houses?metrics=1",
                                     headers={"Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return {h["house"]: h for h in json.load(resp)["houses"]}


def test_telemetry_reaches_central_within_two_seconds(central_app, edge_config, edge_process):
    edge = edge_process(edge_config("house-01"))
    wait_for(lambda: edge.output().count("connected to broker"), 15, what="edge connected")
    started = time.monotonic()
    seen = wait_for(lambda: houses(central_app.web.port).get("house-01", {}).get("metrics"),
                    10, what="telemetry at central")
    assert time.monotonic() - started <= 2.0
    assert "sys.uptime_s" in seen


def test_central_shows_a_killed_edge_offline_by_its_will(central_app, edge_config, edge_process):
    edge = edge_process(edge_config("house-02"))
    wait_for(lambda: houses(central_app.web.port).get("house-02", {}).get("online"), 15,
             what="house online")
    edge.signal(signal.SIGKILL)
    killed = time.monotonic()
    gone = wait_for(lambda: (h := houses(central_app.web.port)["house-02"]) and not h["online"]
                    and h, 3 * KEEPALIVE, interval=0.1, what="house offline")
    assert time.monotonic() - killed <= 1.5 * KEEPALIVE + 1.0  # + broker's 1 s check granularity
    assert gone["offline_reason"] == "lost"


def test_a_stopped_edge_says_so_instead_of_looking_lost(central_app, edge_config, edge_process):
    edge = edge_process(edge_config("house-03"))
    wait_for(lambda: houses(central_app.web.port).get("house-03", {}).get("online"), 15,
             what="house online")
    edge.signal(signal.SIGTERM)
    edge.popen.wait(2)  # stops cleanly within 2 s
    assert edge.popen.returncode == 0
    gone = wait_for(lambda: (h := houses(central_app.web.port)["house-03"]) and not h["online"]
                    and h, 5, what="house offline")
    assert gone["offline_reason"] == "stopped"


def test_outbox_rows_are_freed_once_central_acknowledges_them(central_app, edge_config,
                                                              edge_process):
    edge_process(edge_config("house-04"))
    acked = wait_for(lambda: houses(central_app.web.port).get("house-04", {}).get("acked_seq", 0)
                     >= 3, 15, what="three samples acknowledged")
    assert acked
    wait_for(lambda: houses(central_app.web.port)["house-04"]["metrics"].get("outbox.rows") == 0,
             10, what="an empty outbox reported")


def test_central_stops_cleanly_on_sigterm_within_two_seconds(broker, tmp_path):
    cfg = write_central_config(tmp_path / "central.toml", broker.port, tmp_path / "c.sqlite",
                               free_port())
    central = start_central(cfg, tmp_path / "central.log")
    try:
        wait_for(lambda: "connected to broker" in central.output(), 15, what="central connected")
        central.signal(signal.SIGTERM)
        central.popen.wait(2)
        assert central.popen.returncode == 0
        assert "Traceback" not in central.output()
    finally:
        central.stop()


def test_central_survives_garbage_and_keeps_storing_good_messages(central_app, edge_config,
                                                                  broker, edge_process):
    import paho.mqtt.publish as publish
    for payload in (b"\x00\xff garbage", b"{}", b'{"v":1,"house":"house-09","boot":"b",'
                    b'"seq":1,"ts":0,"metrics":{}}'):
        publish.single("culturehouse/v1/house-05/telemetry", payload, qos=1,
                       hostname="127.0.0.1", port=broker.port)
    edge_process(edge_config("house-05"))
    wait_for(lambda: houses(central_app.web.port).get("house-05", {}).get("metrics"), 15,
             what="good telemetry stored after garbage")
    rejected = central_app.collector.rejected
    assert rejected["bad_json"] == 1 and rejected["bad_version"] == 1
    assert rejected["house_mismatch"] == 1
