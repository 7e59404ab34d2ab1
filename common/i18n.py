"""Words in Vietnamese and English: one keyed catalogue per language (common/locales/*.json).

Dashboard, scan page and check lines all look their words up here, by key with named
parameters. Standard library only; the catalogues are read once, on first use.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from string import Formatter
from typing import Any, Mapping

LANGS = ("vi", "en")  # the first is the default and the fallback: Vietnamese first


@dataclass(frozen=True)
class Phrase:
    """Words not yet put into a language: a catalogue key and its parameters."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)  # a dict: unhashable


def phrase(key: str, **params: Any) -> Phrase:
    return Phrase(key, params)


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """Every key of one language, as common/locales/<lang>.json has it."""
    raw = resources.files("common").joinpath(f"locales/{lang}.json").read_text("utf-8")
    return json.loads(raw)


def pick(lang: str | None) -> str:
    """The language to use: a known one as asked, anything else the default."""
    return lang if lang in LANGS else LANGS[0]


def known(key: str) -> bool:
    return key in catalogue(LANGS[0])


def text(lang: str | None, key: str | Phrase, **params: Any) -> str:
    """The words for key in lang with {placeholders} filled; Vietnamese, then the key itself,
    when lang lacks it. A Phrase parameter is put into the same language."""
    if isinstance(key, Phrase):
        key, params = key.key, {**key.params, **params}
    lang = pick(lang)
    template = catalogue(lang).get(key) or catalogue(LANGS[0]).get(key) or key
    values = {name: text(lang, value) if isinstance(value, Phrase) else value
              for name, value in params.items()}
    return template.format_map(_KeepMissing(values)) if "{" in template else template


class _KeepMissing(dict):
    """A placeholder nobody filled stays visible as {name} rather than raising."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def placeholders(template: str) -> frozenset[str]:
    """The {names} a catalogue entry expects."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def with_prefixes(lang: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """The part of one catalogue whose keys start with one of prefixes (for a page's script)."""
    return {k: v for k, v in catalogue(pick(lang)).items() if k.startswith(prefixes)}
