"""What a prompt is made of: the pieces to play in turn, each a file name and its words.

A catalogue entry such as "Đang in {pages} trang." becomes its literal parts (files
`printing.1.wav`, `printing.2.wav`) around the number, and the number becomes recorded
words (`word.tens.wav`, `digit.3.wav`, ...), so a house's own recorded voice can say any
count or pickup code. A number with no words in that language is one piece spoken by
espeak-ng. Pure: standard library and common.i18n only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from string import Formatter
from typing import Mapping

PREFIX = "voice."
_NAME = re.compile(r"^[a-z0-9_.]{1,64}$")


@dataclass(frozen=True)
class Piece:
    """One stretch of speech: `name` its file stem in the prompts folder ("" = speak the
    words with espeak-ng each time, nothing recorded), `text` its words."""

    name: str
    text: str


def number_words(n: int, lang: str) -> list[str] | None:
    """Catalogue keys (without "voice.") of the words for n in Vietnamese, 0-9999; None for
    other numbers and languages (espeak-ng says those)."""
    if lang != "vi" or not 0 <= n <= 9999:
        return None
    if n < 10:
        return [f"digit.{n}"]
    if n < 100:
        tens, unit = divmod(n, 10)
        head = ["word.ten"] if tens == 1 else [f"digit.{tens}", "word.tens"]
        if unit == 0:
            return head
        if unit == 5:
            return head + ["word.five_after_tens"]
        if unit == 1 and tens > 1:
            return head + ["word.one_after_tens"]
        return head + [f"digit.{unit}"]
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = [f"digit.{hundreds}", "word.hundred"]
        if rest == 0:
            return head
        return head + (["word.zero_tens", f"digit.{rest}"] if rest < 10
                       else number_words(rest, lang))
    thousands, rest = divmod(n, 1000)
    head = [f"digit.{thousands}", "word.thousand"]
    if rest == 0:
        return head
    if rest < 100:  # 2005: "hai nghìn không trăm linh năm"
        return head + ["digit.0", "word.hundred"] + (
            ["word.zero_tens", f"digit.{rest}"] if rest < 10 else number_words(rest, lang))
    return head + number_words(rest, lang)


def _value_pieces(name: str, value: object, lang: str,
                  words: Mapping[str, str]) -> list[Piece]:
    text = str(value)
    if name == "code" and text.isdigit():  # a pickup code is read digit by digit
        return [Piece(f"digit.{d}", words[f"{PREFIX}digit.{d}"]) for d in text]
    if text.isdigit():
        keys = number_words(int(text), lang)
        if keys is not None:
            return [Piece(k, words[PREFIX + k]) for k in keys]
    return [Piece("", text)]


def pieces(key: str, params: Mapping[str, object], lang: str,
           words: Mapping[str, str]) -> list[Piece]:
    """The pieces of one prompt in one language's catalogue (`words`)."""
    template = words[key]
    stem = key.removeprefix(PREFIX)
    parts = list(Formatter().parse(template))
    if not any(field for _, field, _, _ in parts):
        return [Piece(stem, template)]
    out: list[Piece] = []
    n = 0
    for literal, field, _spec, _conv in parts:
        if any(ch.isalnum() for ch in literal):  # not a lone "." after a code
            n += 1
            out.append(Piece(f"{stem}.{n}", literal.strip()))
        if field:
            out.extend(_value_pieces(field, params.get(field, ""), lang, words))
    return out


def recorded_pieces(words: Mapping[str, str]) -> list[Piece]:
    """Every piece that has a file of its own in the prompts folder, for one language:
    what `culturehouse-edge voice --generate` makes and staff may replace."""
    out: dict[str, Piece] = {}
    for key, template in words.items():
        if not key.startswith(PREFIX):
            continue
        for piece in pieces(key, {}, "", words):
            if piece.name and _NAME.match(piece.name):
                out[piece.name] = piece
    return sorted(out.values(), key=lambda p: p.name)
