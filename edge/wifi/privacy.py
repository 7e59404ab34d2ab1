"""MAC pseudonyms: HMAC-SHA256 under a device-local key rotated every 30 days.

Owns the key file (mode 0600 under state_dir) and the MAC helpers.
Pure: standard library only.
A raw MAC never leaves memory: only `pseudonym()` output is stored.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
_MAC = re.compile(r"^[0-9a-f]{2}([:-]?)(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$")
KEY_BYTES = 32


def normalize_mac(text: str) -> str | None:
    """'6A-3F-91-0C-7D-12' or '6a3f910c7d12' -> '6a:3f:91:0c:7d:12'; None if not a MAC."""
    text = text.strip().lower()
    if not _MAC.match(text):
        return None
    digits = text.replace(":", "").replace("-", "")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def is_randomized(mac: str) -> bool:
    """Locally administered (second hex digit 2, 6, a or e): a phone's private address."""
    return len(mac) > 1 and mac[1] in "26ae"


def pseudonym(key: bytes, mac: str) -> str:
    """16 base32 characters of HMAC-SHA256(key, normalized MAC)."""
    digest = hmac.new(key, mac.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:16].lower()


@dataclass
class Key:
    secret: bytes = field(repr=False)
    created: float  # unix seconds

    def age(self, wall: float) -> float:
        return wall - self.created


def _write_key(path: Path, key: Key) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"created": key.created, "key": key.secret.hex()}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # the old key is gone with the old inode


def load_key(path: Path, wall: float) -> tuple[Key, bool]:
    """The stored key, or a new one when missing or unreadable; (key, is_new)."""
    try:
        raw = json.loads(path.read_text())
        key = Key(bytes.fromhex(raw["key"]), float(raw["created"]))
        if len(key.secret) != KEY_BYTES:
            raise ValueError("wrong key length")
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
        return key, False
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("wifi pseudonym key unreadable (%s): making a new one",
                    type(exc).__name__)
    return new_key(path, wall), True


def new_key(path: Path, wall: float) -> Key:
    """Make, store (0600) and return a fresh key; the previous key is destroyed."""
    key = Key(secrets.token_bytes(KEY_BYTES), wall)
    _write_key(path, key)
    return key


class Pseudonyms:
    """MAC -> pseudonym under one key, with a RAM-only cache (raw MACs never stored)."""

    def __init__(self, key: Key, cache_limit: int = 20000):
        self.key = key
        self._cache: dict[str, str] = {}
        self._limit = cache_limit

    def __call__(self, mac: str) -> str:
        pid = self._cache.get(mac)
        if pid is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            pid = self._cache[mac] = pseudonym(self.key.secret, mac)
        return pid

    def known_macs(self) -> list[str]:
        return list(self._cache)
