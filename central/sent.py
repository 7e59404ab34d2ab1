"""The commands central sent and their results: a result counts only from the house the
command went to, with the command's name; the book is bounded and forgets after a while.

Pure: standard library and protocol only (monotonic time passed in); thread-safe (the web side asks,
the writer thread answers).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import protocol

MOST = 10_000  # commands remembered; the oldest is dropped first
KEEP_S = 3600.0  # a command and its result are forgotten this long after sending


@dataclass(frozen=True)
class Sent:
    """A command central sent: where, which, when (monotonic seconds), its answer once in."""

    house: str
    name: str
    at: float
    result: protocol.CommandResult | None = None


def command_payload(name: str, req_id: str, ttl_s: float, now: float, args: dict) -> bytes:
    """A command as the contract builds it, valid for `ttl_s` from `now` (unix seconds)."""
    return protocol.build_command(protocol.Command(name, req_id, int((now + ttl_s) * 1000), args))


class SentCommands:
    def __init__(self, most: int = MOST, keep_s: float = KEEP_S):
        self.most, self.keep_s = most, keep_s
        self._book: OrderedDict[str, Sent] = OrderedDict()  # in the order they were sent
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._book)

    def sent(self, req_id: str, house: str, name: str, now: float) -> None:
        """Remember a command just published."""
        with self._lock:
            self._book[req_id] = Sent(house, name, now)
            self._book.move_to_end(req_id)
            self._forget(now)

    def answer(self, house: str, result: protocol.CommandResult, now: float) -> Sent | None:
        """Take a result from `house`'s topic: the command it answers, or None if it answers
        nothing central sent there under that name (unknown, forgotten, another house's)."""
        with self._lock:
            self._forget(now)
            entry = self._book.get(result.req_id)
            if entry is None or entry.house != house or entry.name != result.name:
                return None
            if entry.result is None:  # a redelivered answer keeps the first one
                entry = self._book[result.req_id] = replace(entry, result=result)
            return entry

    def lookup(self, req_id: str, now: float) -> Sent | None:
        """The command under `req_id` and its result so far; None when unknown or forgotten."""
        with self._lock:
            self._forget(now)
            return self._book.get(req_id)

    def _forget(self, now: float) -> None:
        book = self._book
        while book and (len(book) > self.most
                        or now - next(iter(book.values())).at >= self.keep_s):
            book.popitem(last=False)
