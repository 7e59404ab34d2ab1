"""The dashboard's words from the shared catalogue (common/i18n.py): printer reasons in plain
words, durations, and the part of the catalogue the overview page's script gets as JSON.
Pure: standard library, common.i18n and protocol only.
"""
from __future__ import annotations

from common.i18n import LANGS, known, pick, text, with_prefixes  # noqa: F401  (pick: web.py)
from protocol.vocabulary import base_reason  # noqa: F401  (alerts.py names it through here)

# What the overview page's script looks up (served as /i18n.json).
PAGE_PREFIXES = ("other_language", "dashboard.", "state.", "cause.", "reason.", "duration.")
# Reasons that only warn: the printer still prints.
WARNING_REASONS = frozenset({"marker-supply-low", "toner-low", "connecting-to-device"})

t = text  # the pages' and alerts' short name for a catalogue lookup


def reason_words(lang: str, reason: str) -> str:
    """'media-empty-error' -> 'Hết giấy'; an unknown keyword is shown as it is."""
    key = "reason." + base_reason(reason)
    return text(lang, key) if known(key) else reason


def duration(lang: str, seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return text(lang, "duration.s", n=round(seconds))
    if seconds < 7200:
        return text(lang, "duration.min", n=round(seconds / 60))
    if seconds < 172800:
        return text(lang, "duration.h", n=round(seconds / 3600))
    return text(lang, "duration.d", n=round(seconds / 86400))


def bundle() -> dict:
    """Everything the overview page needs to render in either language: {lang: {key: words}}."""
    return {lang: with_prefixes(lang, PAGE_PREFIXES) for lang in LANGS}
