"""Houses by administrative place (central/config.py HouseEntry.place()): the overview's
filter by province, district and commune, and its totals per region.
Pure: standard library and central.config only.
"""
from __future__ import annotations

from .config import PLACE_LEVELS as LEVELS  # largest first, as HouseEntry.place() gives them

NOWHERE = dict.fromkeys(LEVELS, "")  # a house not placed in the config
TODAY_KEYS = ("pages", "print_jobs", "scans", "copies", "users")


class UnknownPlace(ValueError):
    """A filter names a place no configured house is in."""


def place_of(places: dict[str, dict], house: str) -> dict[str, str]:
    return {**NOWHERE, **(places.get(house) or {})}


def known_places(places: dict[str, dict]) -> list[dict[str, str]]:
    """Each configured (province, district, commune) once, sorted: what the filter offers."""
    found = {tuple(place_of(places, h)[level] for level in LEVELS) for h in places}
    return [dict(zip(LEVELS, p)) for p in sorted(found)]


def place_filter(args: dict[str, str | None], places: dict[str, dict]) -> dict[str, str]:
    """The levels a request filters by ({} for all), each a place some configured house is in."""
    chosen = {level: args[level] for level in LEVELS if args.get(level)}
    for level, value in chosen.items():
        if not any(place_of(places, h)[level] == value for h in places):
            shown = value[:80] + ("…" if len(value) > 80 else "")
            raise UnknownPlace(f"no configured house is in the {level} {shown!r}")
    return chosen


def matches(place: dict[str, str], chosen: dict[str, str]) -> bool:
    return all(place.get(level, "") == value for level, value in chosen.items())


def totals(cards: list[dict]) -> list[dict]:
    """Figures per region at each level (a province, each of its districts, each of their
    communes): houses, online, HELP waiting and today's figures, from cards with `place`.
    Houses not placed count under the province ""; an empty district or commune is no row."""
    regions: dict[tuple, dict] = {}
    for card in cards:
        place = card.get("place") or NOWHERE
        for depth, level in enumerate(LEVELS, 1):
            if depth > 1 and not place[level]:
                continue  # no district (communes under the province since 2025) or no commune
            key = tuple(place[lv] for lv in LEVELS[:depth])
            region = regions.get(key)
            if region is None:
                region = regions[key] = {"level": level, **dict(zip(LEVELS[:depth], key)),
                                         "houses": 0, "online": 0, "help": 0,
                                         "today": dict.fromkeys(TODAY_KEYS, 0)}
            region["houses"] += 1
            region["online"] += 1 if card["online"] else 0
            region["help"] += len(card.get("help") or [])
            for k in TODAY_KEYS:
                region["today"][k] += (card.get("today") or {}).get(k, 0)
    return [regions[key] for key in sorted(regions)]
