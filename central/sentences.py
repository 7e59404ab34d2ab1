"""What the dashboard says in people's words: an event as a sentence, a time in the house's
zone with that zone named ("giờ Việt Nam (UTC+7)"), a date tick with its weekday.

One catalogue template per declared event type (`event.<type>` in common/locales/*.json),
filled from the event's declared data (protocol/words.py EVENTS). Values come out as plain
text; escaping is the templates' job (Jinja2 autoescape) or the scripts' (textContent).
Pure: standard library, protocol and central.i18n only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from protocol.vocabulary import EVENTS, event_problems

from . import i18n

# Data keys holding a number of seconds: shown as a duration ("3 phút").
DURATION_KEYS = frozenset({"waited", "seconds", "open_s"})
# Where a keyword value's words are looked up, first match wins; else shown as it is.
WORD_TABLES = ("event.word.", "dashboard.problem.")
OTHER_TEXT = 80  # characters of an undeclared event's data shown after its type


def _figure(value: float) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.1f}"


def _keyword(lang: str, key: str, value: str) -> str:
    if key == "state" and i18n.known("state." + value):
        return i18n.t(lang, "state." + value)
    for table in WORD_TABLES:
        if i18n.known(table + value):
            return i18n.t(lang, table + value)
    return i18n.reason_words(lang, value)  # a printer reason, or the keyword itself


def shown(lang: str, key: str, kind: str, value: Any) -> str:
    """One declared data value as words; `kind` is its declared type (protocol Value.type)."""
    if value is None:
        return "—"
    if kind == "bool":
        return i18n.t(lang, "event.yes" if value else "event.no")
    if kind in ("int", "number"):
        return i18n.duration(lang, value) if key in DURATION_KEYS else _figure(value)
    if kind == "keyword":
        return _keyword(lang, key, value)
    if kind == "keywords":
        words = [i18n.reason_words(lang, v) for v in value if v != "none"]
        return ", ".join(words) if words else i18n.t(lang, "event.no_reasons")
    if kind == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def event_sentence(lang: str, event_type: str, data: Any) -> str:
    """An event as a sentence ("Đã in xong 3 trang (lệnh in số 12)"); one whose type is not
    declared, or whose data breaks its declaration, as "Sự kiện <type>" and its plain values."""
    spec = EVENTS.get(event_type)
    if spec is None or not isinstance(data, Mapping) or event_problems(event_type, data):
        return f'{i18n.t(lang, "event.other", type=event_type)} {other_text(data)}'.strip()
    values = {key: shown(lang, key, v.type, data.get(key)) for key, v in spec.data.items()}
    return i18n.t(lang, "event." + event_type, **values)


def other_text(data: Any) -> str:
    """The first few plain values of an event's data, "key=value, …", at most OTHER_TEXT long."""
    if not isinstance(data, Mapping):
        return ""
    return ", ".join(f"{k}={v}" for k, v in list(data.items())[:4]
                     if isinstance(v, (int, float, str)))[:OTHER_TEXT]


# ----- time in the house's zone ------------------------------------------------------------

def utc_offset(tz_name: str, at_ms: int) -> str:
    """'UTC+7', 'UTC+5:30', 'UTC-3', 'UTC' for the zone's offset at that moment."""
    delta = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(tz_name)).utcoffset() or timedelta()
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def zone_label(lang: str, tz_name: str, at_ms: int) -> str:
    """'giờ Việt Nam (UTC+7)' / 'Vietnam time (UTC+7)'; a zone without a name in the
    catalogue is named by its id ('giờ Europe/Paris (UTC+1)')."""
    key = "dashboard.zone_name." + tz_name
    place = i18n.t(lang, key) if i18n.known(key) else tz_name
    return i18n.t(lang, "dashboard.zone", place=place, offset=utc_offset(tz_name, at_ms))


def local(ms: int, tz_name: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz_name))


def at(ms: int, tz_name: str) -> str:
    """A moment as the house's clock showed it: '23/11 14:05'."""
    return f"{local(ms, tz_name):%d/%m %H:%M}"


def weekday(lang: str, when: datetime) -> str:
    """'T2' … 'CN' (Monday … Sunday) / 'Mon' … 'Sun'."""
    return i18n.t(lang, f"dashboard.weekday.{when.weekday()}")
