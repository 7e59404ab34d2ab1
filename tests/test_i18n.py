"""One catalogue per language (common/locales/*.json) for dashboard, scan page and checks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from common import i18n
from common.i18n import catalogue, phrase, placeholders, text

REPO = Path(__file__).resolve().parent.parent
SAME_IN_BOTH = {"check.feature.wifi"}  # a name, not a word: "Wi-Fi" in either language
NAMESPACES = ("check", "dashboard", "scan_page", "metric", "state", "cause", "reason", "alert",
              "voice",
              "duration", "event", "unit")
# A key written out in the code: a quoted literal in one of the catalogue's namespaces.
# Keys built at run time ("state." + s) end in a dot here and are left out.
LITERAL_KEY = re.compile(r"""["']((?:%s)\.[a-z0-9_.-]*[a-z0-9_-])["']""" % "|".join(NAMESPACES))


def test_both_catalogues_have_exactly_the_same_keys():
    vi, en = set(catalogue("vi")), set(catalogue("en"))
    assert (sorted(vi - en), sorted(en - vi)) == ([], [])


def test_each_key_has_the_same_placeholders_in_both_languages():
    vi, en = catalogue("vi"), catalogue("en")
    differ = {key: (sorted(placeholders(vi[key])), sorted(placeholders(en[key])))
              for key in vi if key in en and placeholders(vi[key]) != placeholders(en[key])}
    assert differ == {}


def test_no_vietnamese_entry_is_left_in_english():
    vi, en = catalogue("vi"), catalogue("en")
    assert [key for key in vi if vi[key] == en[key] and key not in SAME_IN_BOTH] == []


def test_every_key_the_code_names_is_in_the_catalogue():
    sources = [*REPO.glob("edge/**/*.py"), *REPO.glob("central/**/*.py"),
               *REPO.glob("common/**/*.py"), *REPO.glob("central/static/*.js")]
    named = {(str(p.relative_to(REPO)), key) for p in sources
             for key in LITERAL_KEY.findall(p.read_text())}
    assert len(named) > 100  # the pattern really finds the keys
    assert sorted((where, key) for where, key in named if key not in catalogue("vi")) == []


def test_a_lookup_fills_the_named_parameters():
    assert text("en", "check.disk.low", free_mb=12, folder="/var/lib/x") == \
        "only 12 MB free for /var/lib/x"
    assert text("vi", "check.disk.low", free_mb=12, folder="/var/lib/x") == \
        "chỉ còn 12 MB trống cho /var/lib/x"


def test_a_phrase_parameter_is_put_into_the_same_language():
    state = phrase("state.stopped")
    assert text("vi", "check.printer.queue", queue="q", state=state) == \
        "hàng chờ in CUPS 'q': Đã dừng"
    assert text("en", phrase("check.printer.queue", queue="q", state=state)) == \
        "CUPS queue 'q': Stopped"


def test_an_unknown_language_gets_vietnamese():
    assert text("fr", "dashboard.online") == text(None, "dashboard.online") == "Đang hoạt động"


def test_a_key_missing_in_english_falls_back_to_vietnamese_then_to_the_key(monkeypatch):
    shelves = {"vi": {"only.vi": "chỉ tiếng Việt"}, "en": {}}
    monkeypatch.setattr(i18n, "catalogue", lambda lang: shelves[lang])
    assert text("en", "only.vi") == "chỉ tiếng Việt"
    assert text("en", "nowhere.at.all") == "nowhere.at.all"


def test_a_missing_parameter_stays_visible_instead_of_raising():
    assert text("en", "check.disk.low", free_mb=3) == "only 3 MB free for {folder}"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_entry_is_a_well_formed_template(lang):
    broken = {}
    for key, template in catalogue(lang).items():
        try:
            template.format_map({name: "x" for name in placeholders(template)})
        except (ValueError, IndexError, KeyError) as exc:
            broken[key] = str(exc)
    assert broken == {}
