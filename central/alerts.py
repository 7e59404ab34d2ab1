"""Alerts with hysteresis: what is wrong at which house, raised and cleared over time.

`observe` turns house cards into conditions (`observe_central` central's own state, under
the reserved id "central"); `step` applies hold and clear delays and
returns the new tracks with what was raised and cleared; `describe` gives the clear text.
Pure: standard library and central.i18n only.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from protocol import MAC_LIKE, MAX_STRING
from protocol.vocabulary import METRICS

from . import i18n

OUTBOX_ROWS = METRICS["outbox.rows"].name
DISK_FREE_PCT = METRICS["sys.disk_free_pct"].name

CENTRAL = "central"  # the house id of alerts about central itself (reserved in the contract)
KINDS = ("house.offline", "printer.attention", "scanner.missing", "outbox.backlog",
         "clock.skew", "disk.low", "help.unacked", "central.ingest_stalled")
INSTANT_CLEAR = ("house.offline", "help.unacked", "central.ingest_stalled")


@dataclass(frozen=True)
class Rules:
    offline_after: float = 600.0
    printer_after: float = 600.0
    scanner_after: float = 60.0
    backlog_rows: int = 200
    backlog_after: float = 60.0
    skew_max: float = 300.0
    skew_after: float = 120.0
    disk_low_pct: float = 10.0
    disk_clear_pct: float = 15.0
    help_ack_within: float = 300.0
    clear_after: float = 60.0

    def hold(self, kind: str) -> float:
        return {"house.offline": self.offline_after, "printer.attention": self.printer_after,
                "scanner.missing": self.scanner_after, "outbox.backlog": self.backlog_after,
                "clock.skew": self.skew_after, "disk.low": 60.0, "help.unacked": 0.0,
                # Stalled is only declared after repeated failures: no second wait.
                "central.ingest_stalled": 0.0}[kind]


@dataclass(frozen=True)
class Condition:
    since: int | None = None  # ms the condition began, when known (else first seen)
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Track:
    house: str
    kind: str
    since: int
    detail: dict
    raised: int | None = None
    clear_since: int | None = None


def is_attention(state, reasons) -> bool:
    """The printer cannot print without someone's hands (warnings such as toner-low excluded)."""
    if state in ("stopped", "unreachable"):
        return True
    return any(i18n.base_reason(r) not in i18n.WARNING_REASONS and r != "none"
               for r in reasons or [] if isinstance(r, str))


def observe(card: dict, rules: Rules, raised: set[str], skew_ms: int | None,
            backlog_growing: bool) -> tuple[dict[str, Condition], bool]:
    """Conditions holding at one house now; the flag says the house's figures are current."""
    out: dict[str, Condition] = {}
    if card["help"] and rules.help_ack_within >= 0:
        oldest = min(h["ts"] for h in card["help"])
        out["help.unacked"] = Condition(oldest + int(rules.help_ack_within * 1000),
                                        {"since": oldest})
    if not card["online"]:
        out["house.offline"] = Condition(card["last_seen"], {"cause": card["cause"]})
        return out, False  # stale figures: leave the house's other alerts as they are
    p = card["printer"]
    if is_attention(p["state"], p["reasons"]):
        out["printer.attention"] = Condition(None, {"state": p["state"],
                                                    "reasons": list(p["reasons"] or [])})
    if card["scanner"]["state"] == "missing":
        out["scanner.missing"] = Condition()
    rows = card["metrics"].get(OUTBOX_ROWS)
    if isinstance(rows, (int, float)) and rows >= rules.backlog_rows and backlog_growing:
        out["outbox.backlog"] = Condition(None, {"rows": rows})
    if skew_ms is not None and abs(skew_ms) > rules.skew_max * 1000:
        out["clock.skew"] = Condition(None, {"skew_s": round(skew_ms / 1000)})
    pct = card["metrics"].get(DISK_FREE_PCT)
    limit = rules.disk_clear_pct if "disk.low" in raised else rules.disk_low_pct
    if isinstance(pct, (int, float)) and pct < limit:
        out["disk.low"] = Condition(None, {"pct": pct})
    return out, True


def observe_central(stall) -> dict[str, Condition]:
    """Conditions holding at central itself: ingest stalled (an isolation.Stall, or None)."""
    if stall is None:
        return {}
    return {"central.ingest_stalled": Condition(stall.since, {"reason": stall.reason,
                                                              "held": stall.held})}


def step(tracks: dict[tuple, Track], house: str, conditions: dict[str, Condition], current: bool,
         now: int, rules: Rules) -> tuple[list[Track], list[Track]]:
    """Advance one house's tracks in place; returns (raised now, cleared now)."""
    raised, cleared = [], []
    for kind in KINDS:
        key, cond, track = (house, kind), conditions.get(kind), tracks.get((house, kind))
        if cond is not None:
            if track is None:
                track = Track(house, kind, cond.since if cond.since is not None else now,
                              cond.detail)
            track = replace(track, detail=cond.detail, clear_since=None)
            if track.raised is None and now - track.since >= rules.hold(kind) * 1000:
                track = replace(track, raised=now)
                raised.append(track)
            tracks[key] = track
        elif track is not None and (current or kind in INSTANT_CLEAR):
            if track.raised is None:
                del tracks[key]
                continue
            track = track if track.clear_since else replace(track, clear_since=now)
            # These clear at once: the good news is certain, not a blip.
            if kind in INSTANT_CLEAR or now - track.clear_since >= rules.clear_after * 1000:
                del tracks[key]
                cleared.append(track)
            else:
                tracks[key] = track
    return raised, cleared


def describe(track: Track, lang: str, now: int, name: str = "") -> str:
    """The alert's clear text in `lang`."""
    d, who = track.detail, name or track.house
    if track.kind == "house.offline":
        cause = i18n.t(lang, "cause." + d.get("cause", "lost"))
        return i18n.t(lang, "alert.house.offline", house=who, cause=cause,
                      dur=i18n.duration(lang, (now - track.since) / 1000))
    if track.kind == "printer.attention":
        words = [i18n.reason_words(lang, r) for r in d.get("reasons", [])]
        if not words:
            words = [i18n.t(lang, f"state.{d.get('state') or 'unknown'}")]
        return i18n.t(lang, "alert.printer.attention", house=who, reasons=", ".join(words))
    if track.kind == "outbox.backlog":
        return i18n.t(lang, "alert.outbox.backlog", house=who, rows=d.get("rows"))
    if track.kind == "clock.skew":
        return i18n.t(lang, "alert.clock.skew", house=who,
                      dur=i18n.duration(lang, abs(d.get("skew_s", 0))))
    if track.kind == "disk.low":
        return i18n.t(lang, "alert.disk.low", house=who, pct=round(d.get("pct", 0), 1))
    if track.kind == "help.unacked":
        return i18n.t(lang, "alert.help.unacked", house=who,
                      dur=i18n.duration(lang, (now - d.get("since", now)) / 1000))
    if track.kind == "central.ingest_stalled":
        return i18n.t(lang, "alert.central.ingest_stalled", held=d.get("held", 0),
                      reason=d.get("reason", ""),
                      dur=i18n.duration(lang, (now - track.since) / 1000))
    return i18n.t(lang, "alert." + track.kind, house=who)


def shorten(text: str, most: int = MAX_STRING) -> str:
    """Text the contract takes in a retained alert: at most `most` characters, and nothing
    that looks like a MAC address (a 12-digit backlog count would). One alert's text must
    never stop the others being published."""
    while True:  # cutting can leave a new MAC-like tail, and "…" for one leaves room: repeat
        cut = text if len(text) <= most else text[:most - 1] + "…"
        clean = MAC_LIKE.sub("…", cut)
        if clean == text:
            return clean
        text = clean


def as_dict(track: Track, now: int, name: str = "") -> dict:
    return {"house": track.house, "kind": track.kind, "since": track.since,
            "raised": track.raised, "detail": track.detail,
            "text": shorten(describe(track, "vi", now, name)),
            "text_en": shorten(describe(track, "en", now, name))}
