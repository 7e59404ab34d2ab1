"""Configs and processes for edge agents and central in tests, benchmarks and the demo."""
from __future__ import annotations

import sys
from pathlib import Path

from .procs import Proc

PYTHON = sys.executable


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_tables(sections: dict) -> str:
    """Render {"section": {"key": value, "sub": {...}}} as TOML tables."""
    out = []

    def emit(name: str, table: dict) -> None:
        plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        out.append(f"[{name}]")
        out.extend(f"{k} = {toml_value(v)}" for k, v in plain.items())
        out.append("")
        for key, sub in nested.items():
            emit(f"{name}.{key}", sub)

    for name, table in sections.items():
        emit(name, table)
    return "\n".join(out)


def write_edge_config(path: Path, house: str, broker_port: int, state_dir: Path,
                      **sections) -> Path:
    """An edge config for tests: fast telemetry and keepalive, private state dir."""
    base = {
        "house": {"id": house},
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "keepalive": "5s",
                 "reconnect_max": "2s"},
        "telemetry": {"interval": "1s"},
        "storage": {"state_dir": str(state_dir)},
    }
    for name, table in sections.items():
        base[name] = {**base.get(name, {}), **table}
    path.write_text(toml_tables(base))
    return path


def write_central_config(path: Path, broker_port: int, database: Path | str, web_port: int,
                         **sections) -> Path:
    """A central config for tests; `database` is a SQLite file or a postgresql:// URL."""
    where = str(database)
    base = {
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "keepalive": "5s",
                 "reconnect_max": "2s"},
        "storage": {"url": where} if where.startswith("postgresql://") else {"database": where},
        "web": {"host": "127.0.0.1", "port": web_port},
    }
    for name, table in sections.items():
        base[name] = {**base.get(name, {}), **table}
    path.write_text(toml_tables(base))
    return path


def start_edge(config: Path, log: Path, env: dict | None = None) -> Proc:
    return Proc([PYTHON, "-m", "edge", "run", "--config", str(config)], log, env=env)


def start_central(config: Path, log: Path, env: dict | None = None) -> Proc:
    return Proc([PYTHON, "-m", "central", "run", "--config", str(config)], log, env=env)
