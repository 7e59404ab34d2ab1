"""Scan faults: SANE's error texts to stable reasons, and the red-light cause of each.

Pure: standard library only.
"""
from __future__ import annotations

# sane_strstatus() texts (SANE 1.x) to stable reasons; anything else is "error".
SANE_FAULTS = {
    "document feeder jammed": "jam",
    "scanner cover is open": "cover_open",
    "document feeder out of documents": "no_docs",
    "device busy": "busy",
    "error during device i/o": "io_error",
    "operation was canceled": "cancelled",
    "operation was cancelled": "cancelled",
    "out of memory": "no_memory",
    "access to resource has been denied": "access_denied",
    "invalid argument": "invalid",
    "scanner lamp not ready, please retry": "warming_up",
    "scanner mechanism locked for transport": "locked",
}
# Reasons that are no fault of the device: no red light.
QUIET_REASONS = frozenset({"cancelled", "timeout", "interrupted"})
# Reasons after which the device may have gone away: close it and enumerate again.
LINK_FAULTS = frozenset({"io_error", "invalid", "access_denied", "missing", "error", "truncated"})
# Red-light cause per reason (edge/lights.py maps causes to blink patterns).
FAULT_CAUSE = {"jam": "jam", "cover_open": "scanner_cover_open", "no_docs": "scanner_no_docs",
               "busy": "scanner_busy", "missing": "scanner_missing"}


def parse_fault(message: str) -> str:
    """A SANE error text to a stable reason such as "jam" or "cover_open"."""
    return SANE_FAULTS.get(message.strip().lower().rstrip("."), "error")


def fault_cause(reason: str) -> str:
    return FAULT_CAUSE.get(reason, "scanner_fault")


def is_link_fault(reason: str) -> bool:
    return reason in LINK_FAULTS
