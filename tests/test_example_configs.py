"""The example configs document every key the code accepts (`key = …` or `# key = …`)."""
import dataclasses
import re
import typing
from pathlib import Path

import pytest

from central.config import CentralConfig
from edge.config import EdgeConfig

REPO = Path(__file__).resolve().parent.parent


def keys(cls, prefix=""):
    """Dotted names of every leaf key; tables keyed by user-chosen names are skipped."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        tp = hints[field.name]
        if dataclasses.is_dataclass(tp):
            yield from keys(tp, f"{prefix}{field.name}.")
        elif typing.get_origin(tp) is dict and dataclasses.is_dataclass(typing.get_args(tp)[1]):
            yield from keys(typing.get_args(tp)[1], f"{prefix}{field.name}.*.")
        else:
            yield prefix + field.name


@pytest.mark.parametrize("cls,example", [(EdgeConfig, "edge.example.toml"),
                                         (CentralConfig, "central.example.toml")])
def test_every_key_is_documented_in_the_example(cls, example):
    text = (REPO / "config" / example).read_text()
    missing = [k for k in keys(cls)
               if not re.search(rf"^#?\s*{re.escape(k.rsplit('.', 1)[-1])}\s*=", text, re.M)]
    assert not missing, f"{example} lacks: {missing}"
