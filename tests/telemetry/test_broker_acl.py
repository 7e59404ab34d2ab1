"""Per-house credentials and ACL on a real mosquitto, set up by `add-house`."""
from __future__ import annotations

import pytest

from central.broker_admin import add_house, ensure_acl
from central.cli import main as central_main
import protocol
from harness.mosquitto import MosquittoBroker
from harness.procs import wait_for
from tests.telemetry.helpers import WireClient

pytestmark = pytest.mark.integration  # starts real processes or timed devices itself

T = protocol.Topics()


@pytest.fixture
def secured(tmp_path):
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    creds = {h: add_house(h, pw, acl, T.root) for h in ("house-01", "house-02", "central")}
    broker = MosquittoBroker(tmp_path / "mosq", extra_conf=(
        f"allow_anonymous false\npassword_file {pw}\nacl_file {acl}\n")).start()
    clients = []

    def connect(user: str, password: str | None = None) -> WireClient:
        client = WireClient(broker.port, user, creds.get(user, "") if password is None
                            else password)
        clients.append(client)
        return client

    yield connect
    for c in clients:
        c.close()
    broker.stop()


def sample(house: str, seq: int) -> bytes:
    return protocol.build_telemetry(protocol.Telemetry(house, "b", seq, 1, {"a": seq}))


def test_a_house_cannot_publish_under_another_houses_id(secured):
    central, intruder, marker = secured("central"), secured("house-02"), secured("house-02")
    central.subscribe(f"{T.root}/#")
    wait_for(intruder.connected.is_set, 10, what="intruder connected")
    # mosquitto drops (and for MQTT 3.1.1 may disconnect) a publish the ACL denies.
    intruder.client.publish(T.telemetry("house-01"), sample("house-01", 1), qos=1)
    wait_for(lambda: not intruder.client.want_write(), 10, what="the forged sample sent")
    marker.publish(T.telemetry("house-02"), sample("house-02", 1))
    wait_for(lambda: central.on("house-02/telemetry"), 10, what="house-02's own sample")
    assert central.on("house-01/") == []


def test_a_house_cannot_read_another_houses_commands(secured):
    central, snoop = secured("central"), secured("house-02")
    snoop.subscribe(f"{T.root}/house-01/cmd/#")
    snoop.subscribe(f"{T.root}/house-02/cmd/#")
    for house in ("house-01", "house-02"):
        central.publish(T.cmd(house, "ping"), protocol.build_command(
            protocol.Command("ping", f"r-{house}", 0)))
    wait_for(lambda: snoop.on("house-02/cmd/ping"), 10, what="house-02's own command")
    assert snoop.on("house-01/cmd") == []


def test_anonymous_and_wrong_passwords_are_refused(secured):
    anonymous, wrong = secured("nobody", ""), secured("house-01", "not-the-password")
    wait_for(lambda: anonymous.refused.is_set() and wrong.refused.is_set(), 10,
             what="both refused")
    assert not anonymous.connected.is_set() and not wrong.connected.is_set()


def test_add_house_twice_keeps_one_acl_block_and_changes_the_password(tmp_path, monkeypatch,
                                                                      capsys):
    pw, acl = tmp_path / "passwd", tmp_path / "acl"
    argv = ["add-house", "house-03", "--password-file", str(pw), "--acl-file", str(acl)]
    assert central_main(argv) == 0
    first = pw.read_text()
    assert central_main(argv) == 0
    assert acl.read_text().count("user house-03\n") == 1
    assert pw.read_text() != first and pw.read_text().count("house-03:") == 1
    assert not ensure_acl(acl, T.root, "house-03")


def test_add_house_refuses_a_bad_id_with_a_clear_message(tmp_path, capsys):
    code = central_main(["add-house", "House 1", "--password-file", str(tmp_path / "p"),
                         "--acl-file", str(tmp_path / "a")])
    assert code == 2
    assert "not a house id" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
