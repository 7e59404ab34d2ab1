"""The contract's words as data: every command, metric and event type with the type of
each value. protocol/vocabulary.py checks values against these tables; docs/protocol.md
shows them (tests/test_vocabulary.py keeps the page equal to them). Standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from .bounds import MAX_INT, MAX_STRING

KEYWORD_MAX = 64  # characters of one keyword (IPP keywords, reasons, states)


@dataclass(frozen=True)
class Value:
    """The type and range of one value: a metric, an event's data key or a command argument.

    type: "int" (never bool), "number" (int or float), "str", "bool", "keyword" (one short
    word: letters, digits, "-", "_", "."), "keywords" (a list of those), "date"
    ("YYYY-MM-DD"), "counts" (an object of keyword: int ≥ 0) or "any" (checked only by the
    contract's generic bounds). Numbers are also bounded by ±MAX_INT.
    """

    type: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    max_len: int = MAX_STRING  # characters of a str, items of a keywords list
    required: bool = False  # command arguments and event data keys only
    nullable: bool = False  # null is a value too (e.g. "no such hour")


@dataclass(frozen=True)
class CommandSpec:
    """A command central may send to a house; `owner` is the edge part that implements it:
    "agent" or the `name` of the feature (edge/feature.py) that routes it."""

    name: str
    owner: str  # "agent", "printing", "scanning", "wifi", "help"
    args: Mapping[str, Value] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class MetricSpec:
    """A telemetry metric: `kind` is "counter" (cumulative, never decreasing within a boot),
    "gauge" (a reading) or "info" (a word or keywords); unit as in Prometheus (seconds,
    bytes, ...) or "" for a plain count."""

    name: str
    kind: str
    value: Value
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class EventSpec:
    """An event type and the keys its data may carry (`required` ones always)."""

    type: str
    data: Mapping[str, Value] = field(default_factory=dict)
    text: str = ""


# ----- value shapes used below ---------------------------------------------------------------

COUNT = Value("int", 0, MAX_INT)  # a gauge that counts things
FLAG = Value("int", 0, 1)
WORD = Value("keyword")
WORDS = Value("keywords", max_len=32)
JOB_ID = Value("int", 1, MAX_INT, required=True)
# Event data keys that are always present. Words in events are open keywords, not choices:
# a newer edge may add a reason or a state, and central must keep taking its events.
N, W = replace(COUNT, required=True), replace(WORD, required=True)
# Pages of one job: no job at a village house comes near, and central sums them per hour
# and day, so a bound here keeps those sums far below what SQLite's integers hold.
PAGES = Value("int", 0, 100_000, required=True)

# ----- commands ------------------------------------------------------------------------------

COMMANDS: dict[str, CommandSpec] = {c.name: c for c in (
    CommandSpec("ping", "agent", text="the agent's status: version, outbox, features"),
    CommandSpec("press", "agent", {
        "button": Value("str", choices=("print", "scan", "copy", "help"), required=True),
        "seconds": Value("number", 0, 30)}, "press a panel button remotely"),
    CommandSpec("resend", "agent", {
        "from": Value("int", 1, MAX_INT, required=True),
        "to": Value("int", 1, MAX_INT, required=True)}, "send outbox rows from..to again"),
    CommandSpec("rescan_devices", "agent",
                text="look for the printer and the scanner again (after re-plugging)"),
    CommandSpec("release_job", "printing", {"job": JOB_ID},
                text="print one held job of this house's queue"),
    CommandSpec("cancel_job", "printing", {"job": JOB_ID},
                text="cancel one held or pending job of this house's queue"),
    CommandSpec("print_status", "printing",
                text="the printer's state and the queue's jobs (no titles, no user names)"),
    CommandSpec("scan_cancel", "scanning", text="cancel the running or waiting scan"),
    CommandSpec("scan_status", "scanning", text="the scanner's state and queue"),
    CommandSpec("wifi_status", "wifi", text="Wi-Fi users now and today, sources down"),
    CommandSpec("help_ack", "help", {"request": Value("int", 0, MAX_INT)},
                text="acknowledge the house's open HELP request"),
)}

# ----- metrics -------------------------------------------------------------------------------


def _counter(name: str, text: str, unit: str = "") -> MetricSpec:
    return MetricSpec(name, "counter", COUNT, unit, text)


METRICS: dict[str, MetricSpec] = {m.name: m for m in (
    MetricSpec("sys.uptime_s", "gauge", COUNT, "seconds", "time since the Pi booted"),
    MetricSpec("sys.cpu_temp_c", "gauge", Value("number", -100, 200), "celsius",
               "CPU temperature (where the Pi exposes it)"),
    MetricSpec("sys.load1", "gauge", Value("number", 0, MAX_INT), "",
               "load average over one minute"),
    MetricSpec("sys.mem_available_mb", "gauge", COUNT, "MiB", "memory available"),
    MetricSpec("sys.disk_free_mb", "gauge", COUNT, "MiB", "free space on the state disk"),
    MetricSpec("sys.disk_free_pct", "gauge", Value("number", 0, 100), "percent",
               "free space on the state disk"),
    MetricSpec("outbox.rows", "gauge", COUNT, "", "rows waiting for central's ack"),
    MetricSpec("mqtt.connected", "gauge", FLAG, "", "1 while the broker link is up"),
    _counter("events.rejected.total", "events the agent refused to queue (contract broken)"),
    MetricSpec("rollup.samples", "gauge", Value("int", 1, MAX_INT), "",
               "samples a rolled-up row stands for (outbox over quota)"),
    MetricSpec("print.state", "info", WORD, "",
               "idle, processing, stopped, unreachable, missing or unknown"),
    MetricSpec("print.reasons", "info", WORDS, "",
               "the printer's state reasons, base keywords (media-empty, media-jam, ...)"),
    MetricSpec("print.monitor", "info", WORD, "",
               "how the queue is watched: starting, subscription or polling"),
    MetricSpec("print.queue.held", "gauge", COUNT, "", "jobs held until PRINT is pressed"),
    MetricSpec("print.queue.pending", "gauge", COUNT, "", "jobs waiting to print"),
    MetricSpec("print.queue.processing", "gauge", COUNT, "", "jobs printing (or stopped)"),
    MetricSpec("print.held.oldest_age", "gauge", COUNT, "seconds", "age of the oldest held job"),
    _counter("print.jobs.total", "print jobs completed"),
    _counter("print.pages.total", "pages printed"),
    _counter("print.failed.total", "print jobs failed"),
    _counter("print.cancelled.total", "print jobs cancelled"),
    _counter("print.expired.total", "held jobs nobody came for"),
    _counter("print.held.total", "jobs that arrived held"),
    _counter("print.released.total", "held jobs released"),
    _counter("print.refused.total", "PRINT presses refused"),
    _counter("print.reenabled.total", "times the agent re-enabled a paused queue"),
    _counter("print.kept.total", "jobs a printer fault stopped, held again for their citizen"),
    _counter("copy.jobs.total", "copies printed"),
    _counter("copy.pages.total", "pages copied"),
    _counter("copy.failed.total", "copies failed"),
    MetricSpec("scan.state", "info", WORD, "",
               "searching, missing, idle, scanning, waiting or fault"),
    MetricSpec("scan.queue", "gauge", COUNT, "", "scans waiting behind the running one"),
    _counter("scan.jobs.total", "scans completed"),
    _counter("scan.pages.total", "pages scanned"),
    _counter("scan.failed.total", "scans failed"),
    MetricSpec("wifi.clients", "gauge", COUNT, "", "devices connected now"),
    MetricSpec("wifi.sessions.active", "gauge", COUNT, "", "sessions open now"),
    _counter("wifi.sessions.total", "sessions ever opened"),
    _counter("wifi.session_seconds.total", "time spent in closed sessions", "seconds"),
    MetricSpec("wifi.unique.today", "gauge", COUNT, "", "distinct devices today"),
    MetricSpec("wifi.new.today", "gauge", COUNT, "", "devices first seen today"),
    MetricSpec("wifi.returning.today", "gauge", COUNT, "", "devices seen on an earlier day"),
    MetricSpec("wifi.infrastructure", "gauge", COUNT, "",
               "infrastructure devices connected now (not users)"),
    _counter("wifi.bytes.total", "bytes up and down", "bytes"),
    MetricSpec("wifi.source_ok", "gauge", FLAG, "", "1 while every Wi-Fi source answers"),
    MetricSpec("help.open", "gauge", FLAG, "", "1 while a HELP request is open"),
    _counter("help.requests.total", "HELP requests since the agent started"),
)}

# ----- events --------------------------------------------------------------------------------

SCAN = {"purpose": W, "preset": W}  # purpose: scan or copy
COPY_ID = Value("str", max_len=64, required=True)  # "" when the copy has no id
REQUEST = Value("int", 1, MAX_INT, required=True)  # the house's HELP request number

EVENTS: dict[str, EventSpec] = {e.type: e for e in (
    EventSpec("printer.state_changed", {"state": W, "reasons": replace(WORDS, required=True)},
              "the printer's state or reasons changed"),
    EventSpec("printer.reenabled", {}, "the agent re-enabled a queue CUPS had paused"),
    EventSpec("print.job_held", {"job": JOB_ID}, "a job arrived and is held"),
    EventSpec("print.job_released", {"job": JOB_ID, "by": W},
              "a held job was released (by: button or other)"),
    EventSpec("print.job_completed", {"job": JOB_ID, "pages": PAGES}, "a job printed"),
    EventSpec("print.job_expired", {"job": JOB_ID}, "a held job nobody came for was cancelled"),
    EventSpec("print.job_failed", {"job": JOB_ID, "reason": W},
              "a job failed (reason: a job-state keyword, stuck or aborted)"),
    EventSpec("print.job_cancelled", {"job": JOB_ID, "by": W},
              "a job was cancelled (by: button or other)"),
    EventSpec("print.job_kept", {"job": JOB_ID, "cause": W},
              "a job a printer fault stopped is held again (cause: jam, paper_out, cover_open)"),
    EventSpec("copy.completed", {"pages": PAGES, "copy_id": COPY_ID}, "a copy printed"),
    EventSpec("copy.failed", {"reason": W, "copy_id": COPY_ID}, "a copy did not print"),
    EventSpec("scan.started", {**SCAN, "waited": Value("number", 0, MAX_INT, required=True)},
              "a scan started (waited: seconds in the queue)"),
    EventSpec("scan.completed", {**SCAN, "pages": PAGES, "bytes": N,
                                 "seconds": Value("number", 0, MAX_INT, required=True)},
              "a scan was delivered"),
    EventSpec("scan.failed", {**SCAN, "reason": W, "page": Value("int", 1, MAX_INT,
                                                               required=True)},
              "a scan failed at a page (reason: jam, cover_open, timeout, ...)"),
    EventSpec("scan.ocr_completed", {"preset": W, "pages": PAGES,
                                      "seconds": Value("number", 0, MAX_INT, required=True)},
              "a delivered scan was made searchable (seconds of OCR)"),
    EventSpec("scan.ocr_failed", {"preset": W, "reason": W},
              "a scan stays image-only (reason: busy, timeout, failed, missing_tool, gone, ...)"),
    EventSpec("help.requested", {"request": REQUEST}, "a citizen pressed HELP"),
    EventSpec("help.acknowledged", {"request": REQUEST}, "central acknowledged the request"),
    EventSpec("help.closed", {"request": REQUEST, "reason": W,
                              "acknowledged": Value("bool", required=True), "open_s": N},
              "the request ended (reason: press or timeout)"),
    EventSpec("wifi.daily", {
        "day": Value("date", required=True), "tz": Value("str", max_len=64, required=True),
        "unique_devices": N, "engaged_devices": N, "new_devices": N, "returning_devices": N,
        "sessions": N, "bounces": N, "dwell_p50_s": N, "dwell_p90_s": N,
        "dwell_hist": Value("counts", required=True), "network_seconds": N,
        "peak_hour": Value("int", 0, 23, required=True, nullable=True),
        "peak_concurrent": N, "randomized_share": Value("number", 0, 1, required=True),
        "infrastructure_devices": N, "bytes_up": N, "bytes_down": N},
              "the Wi-Fi figures of one finished local day"),
    EventSpec("outbox.refused", {"reason": W},
              "stands for an outbox row the contract refused, so its seq still arrives"),
    EventSpec("ingest.rejected", {"reason": W, "kind": W, "problem": Value("str")},
              "written by central in place of a message it rejected (never sent by a house)"),
)}
