"""TOML into frozen dataclasses, shared by edge and central.

Owns the loading rules: unknown keys rejected, every problem reported at once
with its dotted key, durations as strings with units.
Pure: standard library only.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Union


class ConfigError(ValueError):
    """A configuration that cannot be used; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class Seconds(float):
    """Annotation: a duration, written "30s", "5m", "2h", "1d" or a number; loads as float."""


class Port(int):
    """Annotation: a TCP port number, 1..65535; loads as a plain int."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(text: str | int | float) -> float:
    """Parse "90s", "5m", "1.5h", "250ms" or a bare number of seconds."""
    if isinstance(text, bool):
        raise ValueError("expected a duration such as \"30s\" or \"5m\"")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a duration such as \"30s\" or \"5m\", got {text!r}")
    return float(match.group(1)) * _UNIT[match.group(2)]


def _type_name(tp: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             Seconds: "a duration such as \"30s\"", Port: "a port number (1-65535)"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str, problems: list[str]) -> Any:
    """Convert one TOML value to `tp`, appending problems instead of raising."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, key, problems)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            problems.append(f"{key}: must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a table, got {type(value).__name__}")
            return tp()
        return _build(tp, value, key, problems)
    if origin in (list, tuple):
        (item_tp, *_rest) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            problems.append(f"{key}: expected a list, got {value!r}")
            return ()
        items = tuple(_convert(item_tp, v, f"{key}[{i}]", problems) for i, v in enumerate(value))
        return items
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a table, got {value!r}")
            return types.MappingProxyType({})
        return types.MappingProxyType(
            {k: _convert(val_tp, v, f"{key}.{k}", problems) for k, v in value.items()})
    if tp is Seconds:
        try:
            return parse_duration(value)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
            return 0.0
    if tp is Port:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            problems.append(f"{key}: expected {_type_name(tp)}, got {value!r}")
            return 1
        return int(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is Any:
        return value
    if tp in (str, int, float, bool):
        if type(value) is not tp:
            problems.append(f"{key}: expected {_type_name(tp)}, got {value!r}")
            return tp()
        return value
    raise TypeError(f"unsupported config type {tp!r} at {key}")


def _build(cls: type, table: dict, prefix: str, problems: list[str]) -> Any:
    start = len(problems)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for unknown in sorted(set(table) - set(fields)):
        where = f"{prefix}.{unknown}" if prefix else unknown
        kind = "table" if isinstance(table[unknown], dict) else "key"
        problems.append(f"{where}: unknown {kind}")
    values = {}
    for name, field in fields.items():
        where = f"{prefix}.{name}" if prefix else name
        if name in table:
            values[name] = _convert(hints[name], table[name], where, problems)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.append(f"{where}: required")
            values[name] = None
    try:
        obj = cls(**values)
    except (TypeError, ValueError) as exc:
        problems.append(f"{prefix or 'config'}: {exc}")
        return None
    check = getattr(obj, "problems", None)
    if callable(check) and len(problems) == start:
        problems.extend(f"{prefix}.{p}" if prefix else p for p in check())
    return obj


def load_table(cls: type, table: dict, source: str = "config") -> Any:
    """Build `cls` from a parsed TOML table, or raise ConfigError with every problem."""
    problems: list[str] = []
    obj = _build(cls, table, "", problems)
    if problems:
        raise ConfigError(source, problems)
    return obj


def load_file(cls: type, path: str | Path) -> Any:
    """Read a TOML file into `cls`, or raise ConfigError with every problem."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except PermissionError:
        raise ConfigError(str(path), ["permission denied"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return load_table(cls, table, str(path))
