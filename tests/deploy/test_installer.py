"""install.sh against a scratch root: files, modes, config kept, idempotency, uninstall, and
each role's requirements really installed by pip into a fresh venv with no compiler reachable.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = "/usr/bin/python3"  # install.sh's default: Debian's python3-* are built for it


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


def pip_line(out: str) -> str:
    """The pip command install.sh would have run."""
    return next(line for line in out.splitlines() if " -m pip install " in line)


def test_edge_install_asks_pip_for_the_edge_extra(edge_root):
    assert pip_line(edge_root[1].stdout).endswith(f"--upgrade {REPO}[edge]")


def test_central_install_asks_pip_for_the_base_and_the_central_extra(tmp_path):
    assert pip_line(install(tmp_path, "central").stdout).endswith(f"--upgrade {REPO}[central]")


def test_edge_install_needs_no_build_tools_when_the_venv_sees_debians_cups_and_sane(edge_root):
    # make setup installs python3-cups and python3-sane, as install.sh does on a Pi.
    out = edge_root[1].stdout
    assert "libcups2-dev" not in out and "gcc" not in out


def test_edge_install_gets_the_build_tools_when_the_venv_cannot_see_debians_libraries(tmp_path):
    # A venv made without --system-site-packages stands for a system without python3-cups.
    venv = tmp_path / "opt/culturehouse/venv"
    subprocess.run([DEBIAN_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    out = install(tmp_path, "edge").stdout
    tools = next(line for line in out.splitlines() if "libcups2-dev" in line)
    assert all(pkg in tools.split() for pkg in ("libsane-dev", "gcc", "python3-dev"))
    assert out.index(tools) < out.index(pip_line(out))


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


def test_central_install_makes_broker_certificates_that_verify_and_keeps_them(tmp_path):
    install(tmp_path, "central")
    certs = tmp_path / "etc/mosquitto/certs"
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(certs / "ca.crt"),
                             str(certs / "broker.crt")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    san = subprocess.run(["openssl", "x509", "-in", str(certs / "broker.crt"), "-noout",
                          "-ext", "subjectAltName"], capture_output=True, text=True).stdout
    assert "IP Address:127.0.0.1" in san
    assert mode(certs / "ca.key") == 0o600 and mode(certs / "broker.key") == 0o640
    first = (certs / "broker.crt").read_bytes()
    install(tmp_path, "central")
    assert (certs / "broker.crt").read_bytes() == first  # a re-run never replaces them


def test_the_shipped_broker_config_leaves_debians_persistence_location_alone():
    conf = (REPO / "config/mosquitto/mosquitto.conf").read_text()
    assert not any(line.startswith("persistence_location") for line in conf.splitlines())


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


# Real installs: install.sh with pip for real (apt-get, users and systemctl still skipped)
# into a scratch root, with no C compiler on PATH and CC unusable, so building pycups or
# python-sane would fail. pip uses its own cache: a re-run downloads nothing.
INSTALLER_TOOLS = ("bash", "cat", "chmod", "cp", "dirname", "env", "getent", "id", "install",
                   "ln", "mkdir", "mktemp", "rm", "sed", "openssl", "hostname", "printf")
COMPILERS = ("cc", "gcc", "c99", "clang", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc")
EDGE_ONLY = ("pycups", "python-sane", "python_sane", "gpiozero", "pillow", "img2pdf")


@dataclass(frozen=True)
class RealInstall:
    venv: Path
    installed: frozenset[str]  # what pip put into the venv (its --report)
    pip_log: str  # pip's full log: every requirement it looked at


def outside_the_checkout_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points Python at the checkout or a venv."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "CULTUREHOUSE_", "VIRTUAL_ENV"))}
    return {**env, **extra}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout: pip builds in the source tree, so not in the one under test."""
    src = tmp_path_factory.mktemp("checkout") / "culturehouse"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "build", "*.egg-info", ".pytest_cache", ".hypothesis",
        "artifacts"))
    return src


def install_for_real(work: Path, checkout: Path, role: str) -> RealInstall:
    tools = work / "bin"
    tools.mkdir()
    for tool in INSTALLER_TOOLS:
        (tools / tool).symlink_to(shutil.which(tool))
    assert not [cc for cc in COMPILERS if shutil.which(cc, path=str(tools))]
    report, log = work / "pip-report.json", work / "pip.log"
    env = outside_the_checkout_env(
        PATH=str(tools), CC="/bin/false", CXX="/bin/false", LDSHARED="/bin/false",
        CULTUREHOUSE_ROOT=str(work / "root"), CULTUREHOUSE_SKIP_SYSTEM="1",
        CULTUREHOUSE_PIP_ARGS=f"--report {report} --log {log}")
    out = subprocess.run([str(tools / "bash"), str(checkout / "install.sh"), role], env=env,
                         cwd=work, text=True, capture_output=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    installed = frozenset(item["metadata"]["name"].lower()
                          for item in json.loads(report.read_text())["install"])
    return RealInstall(work / "root/opt/culturehouse/venv", installed, log.read_text().lower())


def run_in(venv: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """A command from the venv's bin/, run outside the checkout so only the install counts."""
    return subprocess.run([str(venv / "bin" / argv[0]), *argv[1:]], cwd=cwd, text=True,
                          capture_output=True, timeout=60, env=outside_the_checkout_env())


@pytest.fixture(scope="module")
def central_venv(tmp_path_factory, checkout) -> RealInstall:
    return install_for_real(tmp_path_factory.mktemp("central-real"), checkout, "central")


@pytest.fixture(scope="module")
def edge_venv(tmp_path_factory, checkout) -> RealInstall:
    debian = subprocess.run([DEBIAN_PYTHON, "-c", "import cups, sane"], capture_output=True)
    assert debian.returncode == 0, "python3-cups and python3-sane missing: run `make setup`"
    return install_for_real(tmp_path_factory.mktemp("edge-real"), checkout, "edge")


@pytest.mark.timeout(900)
def test_central_installs_without_a_compiler_and_never_looks_at_the_edge_libraries(central_venv):
    assert "culturehouse" in central_venv.installed
    # The central extra: the report libraries, prometheus_client and psycopg (with its
    # binary wheel); Pillow (reportlab's) only where Debian's is missing.
    assert {name.replace("_", "-") for name in central_venv.installed} <= {
        "culturehouse", "paho-mqtt", "waitress", "jinja2", "markupsafe", "openpyxl",
        "et-xmlfile", "reportlab", "charset-normalizer", "pillow", "prometheus-client",
        "psycopg", "psycopg-binary", "typing-extensions"}
    assert [name for name in EDGE_ONLY if name != "pillow" and name in central_venv.pip_log] == []


def test_central_command_runs_from_its_fresh_venv(central_venv, tmp_path):
    out = run_in(central_venv.venv, tmp_path, "culturehouse-central", "--help")
    assert out.returncode == 0 and "usage: culturehouse-central" in out.stdout, out.stderr


def test_central_makes_the_monthly_pdf_and_xlsx_from_its_fresh_venv(central_venv, tmp_path):
    db = tmp_path / "central.sqlite"
    out = run_in(central_venv.venv, tmp_path, "python", "-c",
                 f"from central.store import Store; Store({str(db)!r}).close()")
    assert out.returncode == 0, out.stderr
    (tmp_path / "central.toml").write_text(f'[storage]\ndatabase = "{db}"\n')
    for fmt in ("pdf", "xlsx"):
        out = run_in(central_venv.venv, tmp_path, "culturehouse-central", "report", "--config",
                     "central.toml", "--format", fmt, "--output", f"report.{fmt}")
        assert out.returncode == 0, out.stderr
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "report.xlsx").read_bytes().startswith(b"PK")


def test_central_dashboard_files_are_installed_with_it(central_venv, tmp_path):
    out = run_in(central_venv.venv, tmp_path, "python", "-c", "import importlib.resources as r;"
                 "print(sorted(p.name for d in ('static', 'templates')"
                 " for p in r.files('central').joinpath(d).iterdir()))")
    assert out.returncode == 0 and "'overview.html'" in out.stdout and "'app.js'" in out.stdout


@pytest.mark.timeout(900)
def test_edge_installs_without_a_compiler_using_debians_cups_and_sane(edge_venv):
    assert "culturehouse" in edge_venv.installed
    assert not {"pycups", "python-sane"} & edge_venv.installed
    assert "requirement already satisfied: pycups" in edge_venv.pip_log
    assert "requirement already satisfied: python-sane" in edge_venv.pip_log


def test_edge_hardware_libraries_import_from_its_fresh_venv(edge_venv, tmp_path):
    out = run_in(edge_venv.venv, tmp_path, "python", "-c",
                 "import cups, sane, gpiozero, PIL, img2pdf; print(cups.__file__, sane.__file__)")
    assert out.returncode == 0, out.stderr
    assert all(path.startswith("/usr/lib/python3/dist-packages/") for path in out.stdout.split())


def test_edge_command_runs_from_its_fresh_venv(edge_venv, tmp_path):
    out = run_in(edge_venv.venv, tmp_path, "culturehouse-edge", "--help")
    assert out.returncode == 0 and "usage: culturehouse-edge" in out.stdout, out.stderr


OWNERS_OF_TOP_LEVEL_NAMES = """
import importlib.metadata as md, json
owners = {}
for dist in md.distributions():
    for top in {f.parts[0] for f in dist.files or ()}:
        owners.setdefault(top.split(".")[0], set()).add(dist.metadata["Name"].lower())
print(json.dumps({top: sorted(names) for top, names in owners.items()}))
"""


def test_culturehouse_alone_installs_edge_central_protocol_common_and_not_its_harness(edge_venv, tmp_path):
    # Generic names are safe in the project's own venv as long as nothing else there has them.
    out = run_in(edge_venv.venv, tmp_path, "python", "-c", OWNERS_OF_TOP_LEVEL_NAMES)
    owners = json.loads(out.stdout)
    ours = ("edge", "central", "protocol", "common")
    assert {top: owners.get(top) for top in ours} == {top: ["culturehouse"] for top in ours}
    assert not [top for top in ("harness", "tests", "bench") if top in owners]
