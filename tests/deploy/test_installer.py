"""install.sh against a scratch root: files, modes, config kept, idempotency, uninstall."""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def install(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "CULTUREHOUSE_ROOT": str(root), "CULTUREHOUSE_SKIP_SYSTEM": "1",
           "CULTUREHOUSE_SKIP_PIP": "1"}
    out = subprocess.run(["bash", str(REPO / "install.sh"), *args], env=env, text=True,
                         capture_output=True, timeout=120)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tree(root: Path) -> dict[str, str]:
    """Every file outside the venv with its mode and content hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        if "venv" in path.parts or not path.is_file() or path.is_symlink():
            continue
        out[str(path.relative_to(root))] = f"{mode(path):o} " + hashlib.sha256(
            path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def edge_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge-root")
    first = install(root, "edge", "--config", str(REPO / "config/houses/house-01.toml"))
    return root, first


def test_edge_install_writes_the_unit_config_and_secrets(edge_root):
    root, _ = edge_root
    unit = root / "etc/systemd/system/culturehouse-edge.service"
    assert unit.read_text() == (REPO / "systemd/culturehouse-edge.service").read_text()
    assert mode(unit) == 0o644
    config = root / "etc/culturehouse/edge.toml"
    assert config.read_text() == (REPO / "config/houses/house-01.toml").read_text()
    assert mode(config) == 0o640


def test_edge_env_file_is_readable_by_root_only(edge_root):
    env = edge_root[0] / "etc/culturehouse/edge.env"
    assert mode(env) == 0o600
    assert "CULTUREHOUSE_MQTT_PASSWORD=" in env.read_text()


def test_edge_venv_reuses_debians_python_packages(edge_root):
    cfg = (edge_root[0] / "opt/culturehouse/venv/pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg


def test_edge_command_is_linked_onto_the_path(edge_root):
    link = edge_root[0] / "usr/local/bin/culturehouse-edge"
    assert os.readlink(link) == "/opt/culturehouse/venv/bin/culturehouse-edge"


def test_edge_state_dir_is_private_to_the_service(edge_root):
    assert mode(edge_root[0] / "var/lib/culturehouse") == 0o750


def test_edge_install_asks_for_packages_user_groups_and_service(edge_root):
    out = edge_root[1].stdout
    assert "apt-get install" in out and "python3-cups" in out and "python3-sane" in out
    assert "useradd --system" in out or "usermod" in out
    assert "would run: systemctl enable culturehouse-edge.service" in out
    assert "would run: systemctl restart culturehouse-edge.service" in out


def test_rerun_keeps_the_technicians_config_and_secrets(edge_root, tmp_path):
    root, _ = edge_root
    config = root / "etc/culturehouse/edge.toml"
    env = root / "etc/culturehouse/edge.env"
    config.write_text(config.read_text().replace('queue = "house"', 'queue = "lobby"'))
    env.write_text("CULTUREHOUSE_MQTT_PASSWORD=s3cret\n")
    env.chmod(0o644)  # a technician's slip: the re-run puts it right
    out = install(root, "edge", "--config", str(REPO / "config/houses/house-02.toml"))
    assert 'queue = "lobby"' in config.read_text() and 'id = "house-01"' in config.read_text()
    assert env.read_text() == "CULTUREHOUSE_MQTT_PASSWORD=s3cret\n"
    assert mode(env) == 0o600
    assert "kept" in out.stdout


def test_rerun_changes_nothing_else(tmp_path):
    install(tmp_path, "edge")
    before = tree(tmp_path)
    install(tmp_path, "edge")
    assert tree(tmp_path) == before


def test_unknown_command_prints_usage_and_fails(tmp_path):
    out = install(tmp_path, "frobnicate", check=False)
    assert out.returncode == 2 and "install.sh edge" in out.stdout
    assert not (tmp_path / "etc").exists()


def test_missing_house_config_is_refused_before_anything_is_written(tmp_path):
    out = install(tmp_path, "edge", "--config", str(tmp_path / "nope.toml"), check=False)
    assert out.returncode != 0 and "no such config" in out.stderr
    assert not (tmp_path / "opt").exists()


def test_central_install_writes_its_unit_config_and_secrets(tmp_path):
    out = install(tmp_path, "central")
    assert (tmp_path / "etc/systemd/system/culturehouse-central.service").is_file()
    assert mode(tmp_path / "etc/culturehouse/central.env") == 0o600
    assert "[storage]" in (tmp_path / "etc/culturehouse/central.toml").read_text()
    assert mode(tmp_path / "var/lib/culturehouse-central") == 0o750
    assert "mosquitto" in out.stdout.split("would run: env DEBIAN_FRONTEND")[2]


def test_central_install_sets_up_the_broker_config_acl_and_password_file(tmp_path):
    install(tmp_path, "central")
    conf = tmp_path / "etc/mosquitto/conf.d/culturehouse.conf"
    assert conf.read_text() == (REPO / "config/mosquitto/mosquitto.conf").read_text()
    acl = tmp_path / "etc/mosquitto/culturehouse.acl"
    assert mode(acl) == 0o640 and mode(tmp_path / "etc/mosquitto/culturehouse.passwd") == 0o640


def test_central_rerun_keeps_the_houses_added_to_the_acl(tmp_path):
    install(tmp_path, "central")
    acl = tmp_path / "etc/mosquitto/culturehouse.acl"
    acl.write_text(acl.read_text() + "user house-11\n")
    install(tmp_path, "central")
    assert acl.read_text().endswith("user house-11\n")


def test_uninstall_removes_the_service_but_keeps_config_and_data(tmp_path):
    install(tmp_path, "edge")
    (tmp_path / "var/lib/culturehouse/outbox.sqlite").write_text("data")
    install(tmp_path, "uninstall")
    assert not (tmp_path / "etc/systemd/system/culturehouse-edge.service").exists()
    assert not (tmp_path / "opt/culturehouse").exists()
    assert not (tmp_path / "usr/local/bin/culturehouse-edge").is_symlink()
    assert (tmp_path / "etc/culturehouse/edge.toml").is_file()
    assert (tmp_path / "etc/culturehouse/edge.env").is_file()
    assert (tmp_path / "var/lib/culturehouse/outbox.sqlite").read_text() == "data"


def test_uninstall_purge_removes_config_and_data(tmp_path):
    install(tmp_path, "edge")
    install(tmp_path, "uninstall", "--purge")
    assert not (tmp_path / "etc/culturehouse").exists()
    assert not (tmp_path / "var/lib/culturehouse").exists()
