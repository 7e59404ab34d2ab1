"""Several broker addresses (a cluster's nodes) in [mqtt], and collectors that share rows."""
from __future__ import annotations

import queue
import random

import pytest

import protocol
from central.config import CentralConfig
from common.mqtt_config import MqttConfig, broker_address
from common.mqtt_link import LinkUp, MqttLink, build_client
from common.settings import ConfigError, load_table
from harness.procs import free_port


def test_the_first_address_is_host_and_port_then_the_brokers_in_order():
    cfg = MqttConfig(host="10.0.0.11", port=1883, brokers=("10.0.0.12:1884", "[fd00::3]:1883"))
    assert cfg.addresses() == [("10.0.0.11", 1883), ("10.0.0.12", 1884), ("fd00::3", 1883)]


@pytest.mark.parametrize("bad", ["10.0.0.12", "10.0.0.12:0", "h:70000", ":1883", "a b:1883",
                                 "h:port", "mqtt://h:1883"])
def test_a_broker_address_that_is_not_host_colon_port_is_refused(bad):
    assert broker_address(bad) is None
    with pytest.raises(ConfigError) as err:
        load_table(MqttConfig, {"brokers": [bad]})
    assert "brokers" in str(err.value)


def test_one_collector_subscribes_to_everything_houses_send():
    subs = protocol.Topics("culturehouse/v1").central_subscriptions()
    assert not any(s.startswith("$share/") for s in subs)
    assert "culturehouse/v1/+/telemetry" in subs


def test_shared_collectors_split_rows_but_each_sees_statuses_results_and_central():
    subs = protocol.Topics("culturehouse/v1").central_subscriptions("collectors")
    assert sorted(s for s in subs if s.startswith("$share/")) == [
        "$share/collectors/culturehouse/v1/+/event",
        "$share/collectors/culturehouse/v1/+/history",
        "$share/collectors/culturehouse/v1/+/telemetry"]
    assert {"culturehouse/v1/+/status", "culturehouse/v1/+/cmd_result",
            "culturehouse/v1/central/status"} <= set(subs)


@pytest.mark.parametrize("table, problem", [
    ({"ingest": {"share_group": "Big Group"}}, "share_group"),
    ({"ingest": {"share_group": "g"}, "mqtt": {"protocol": "3.1.1"}}, "needs MQTT 5"),
    ({"mqtt": {"protocol": "4"}}, "protocol"),
])
def test_share_group_and_protocol_are_checked(table, problem):
    with pytest.raises(ConfigError) as err:
        load_table(CentralConfig, table)
    assert problem in str(err.value)


def test_a_link_whose_first_node_is_down_connects_to_the_next(broker):
    dead = free_port()  # nothing listens here
    items: queue.Queue = queue.Queue()
    cfg = MqttConfig(port=dead, brokers=(f"127.0.0.1:{broker.port}",), reconnect_min=0.1,
                     reconnect_max=0.5)
    link = MqttLink.for_config(build_client("house-01", "", ""), cfg, lambda: [], items.put,
                               first_delay_max=0, rng=random.Random(1))
    link.start()
    try:
        assert isinstance(items.get(timeout=10), LinkUp)
        assert (link.host, link.port) == ("127.0.0.1", broker.port)
    finally:
        link.stop()
