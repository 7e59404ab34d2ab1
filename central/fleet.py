"""The fleet at a glance, for the top of the overview and /api/houses: houses online,
printers that need someone's hands, HELP calls waiting, pages printed today.

Computed from the house cards (central/queries.py house_cards: the store's current state).
Pure: standard library and central only.
"""
from __future__ import annotations

from .alerts import is_attention


def fleet_summary(cards: list[dict]) -> dict:
    """Counts over the cards. A printer counts as blocked only at a house that is online
    (an offline house's printer state is stale); HELP counts every open call."""
    online = [c for c in cards if c["online"]]
    return {
        "houses": len(cards),
        "online": len(online),
        "printers_blocked": sum(1 for c in online if c["printer"]["state"] is not None
                                and is_attention(c["printer"]["state"], c["printer"]["reasons"])),
        "help_waiting": sum(len(c["help"]) for c in cards),
        "pages_today": sum(c["today"]["pages"] for c in cards),
    }
