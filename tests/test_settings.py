"""Configuration: every problem reported at once, with its key; exit code 2, no traceback."""
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from edge import config
from common.settings import ConfigError, Seconds, load_table, parse_duration


def write(tmp_path, text):
    path = tmp_path / "edge.toml"
    path.write_text(text)
    return path


def test_unknown_table_and_wrong_type_are_both_reported(tmp_path):
    path = write(tmp_path, '[house]\nid = "house-01"\n[mqtt]\nport = "eighteen"\n[printr]\nqueue = "x"\n')
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert "printr: unknown table" in err.value.problems
    assert any(p.startswith("mqtt.port: expected a port number") for p in err.value.problems)


def test_cli_prints_every_problem_and_exits_with_code_2(tmp_path):
    path = write(tmp_path, '[house]\nid = "House 1"\n[telemetry]\ninterval = "often"\n[bogus]\n')
    proc = subprocess.run([sys.executable, "-m", "edge", "run", "--config", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "bogus: unknown table" in proc.stderr
    assert "telemetry.interval: expected a duration" in proc.stderr
    assert "house.id: must match" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        config.load(tmp_path / "nope.toml")


def test_invalid_toml_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[house\n"))


def test_unknown_key_inside_a_known_table_is_rejected(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, '[house]\nid = "house-01"\nnmae = "typo"\n'))
    assert err.value.problems == ["house.nmae: unknown key"]


def test_password_comes_from_the_environment(tmp_path):
    path = write(tmp_path, '[house]\nid = "house-01"\n[mqtt]\npassword = "in-file"\n')
    cfg = config.load(path, environ={config.PASSWORD_ENV: "from-env"})
    assert cfg.mqtt.password == "from-env"
    assert "from-env" not in repr(cfg)


def test_mqtt_username_defaults_to_the_house_id(tmp_path):
    cfg = config.load(write(tmp_path, '[house]\nid = "house-07"\n'))
    assert cfg.mqtt_username == "house-07"


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("5m", 300), ("2h", 7200), ("1.5h", 5400),
                                          ("250ms", 0.25), ("1d", 86400), (45, 45)])
def test_durations_accept_units(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["soon", "-5s", "5 minutes", True, -1])
def test_durations_reject_nonsense(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_cross_field_checks_run_for_every_section_even_when_another_has_type_errors():
    @dataclass(frozen=True)
    class A:
        n: int = 0

    @dataclass(frozen=True)
    class B:
        t: Seconds = 1.0

        def problems(self):
            return ["t: too short"] if self.t < 5 else []

    @dataclass(frozen=True)
    class Root:
        a: A = field(default_factory=A)
        b: B = field(default_factory=B)

    with pytest.raises(ConfigError) as err:
        load_table(Root, {"a": {"n": "x"}, "b": {"t": "1s"}})
    assert err.value.problems == ["a.n: expected an integer, got 'x'", "b.t: too short"]


def test_the_example_config_loads():
    cfg = config.load("config/edge.example.toml")
    assert cfg.house.id == "house-01"
