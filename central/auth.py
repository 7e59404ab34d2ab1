"""Staff logins: password hashes, sessions with CSRF tokens, failed-login throttling, add-user.

Roles: "viewer" reads; "operator" also acknowledges HELP and sends commands.
Sessions live in memory: a restart of central logs everyone out, which is acceptable.
Pure: standard library only.
"""
from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import re
import secrets
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "operator")
USER_NAME = re.compile(r"^[a-z0-9_.-]{1,32}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash' (stdlib hashlib.scrypt)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def is_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])


def verify_password(password: str, stored: str) -> bool:
    if not is_hash(stored):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    try:
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(base64.b64decode(digest)))
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    user: str
    role: str
    expires: float  # monotonic seconds

    @property
    def may_act(self) -> bool:
        return self.role == "operator"


class Sessions:
    """Session tokens -> Session, with idle expiry; safe to use from web threads."""

    def __init__(self, idle_s: float):
        self.idle_s = idle_s
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str, role: str, now: float) -> Session:
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user, role,
                    now + self.idle_s)
        with self._lock:
            self._by_token = {t: v for t, v in self._by_token.items() if v.expires > now}
            self._by_token[s.token] = s
        return s

    def get(self, token: str | None, now: float) -> Session | None:
        with self._lock:
            s = self._by_token.get(token or "")
            if s is None or s.expires <= now:
                self._by_token.pop(token or "", None)
                return None
            s = self._by_token[s.token] = Session(s.token, s.csrf, s.user, s.role,
                                                  now + self.idle_s)
            return s

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)


class LoginThrottle:
    """At most `limit` failed logins per key (address, user name) within `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 900.0):
        self.limit, self.window = limit, window
        self._fails: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, keys: list[str], now: float) -> float:
        """Seconds until another attempt is allowed (0 = now)."""
        with self._lock:
            waits = [q[0] + self.window - now for k in keys
                     if len(q := self._recent(k, now)) >= self.limit]
        return max(waits, default=0.0)

    def failed(self, keys: list[str], now: float) -> None:
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)


def set_user(text: str, name: str, role: str, password_hash: str) -> str:
    """The config text with `[users.NAME]` added or replaced (other lines kept as they are)."""
    table = f'[users.{name}]\nrole = "{role}"\npassword_hash = "{password_hash}"\n'
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        header = line.strip()
        if header.startswith("["):
            skipping = header in (f"[users.{name}]", f'[users."{name}"]')
            if skipping:
                continue
        if not skipping:
            out.append(line)
    body = "".join(out)
    if body and not body.endswith("\n"):
        body += "\n"
    return body + ("\n" if body else "") + table


def command(sp):
    """`culturehouse-central add-user --config central.toml NAME --role operator`."""
    sp.add_argument("--config", required=True, help="path to central.toml (edited in place)")
    sp.add_argument("name", help="login name: lower-case letters, digits, . _ -")
    sp.add_argument("--role", choices=ROLES, default="viewer")
    sp.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input instead of prompting")

    def run(args) -> int:
        if not USER_NAME.match(args.name):
            print("name: use 1-32 lower-case letters, digits, '.', '_' or '-'", file=sys.stderr)
            return 2
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("password: ")
            if getpass.getpass("again: ") != password:
                print("the passwords differ", file=sys.stderr)
                return 2
        if len(password) < 8:
            print("password: at least 8 characters", file=sys.stderr)
            return 2
        path = Path(args.config)
        try:
            text = path.read_text() if path.exists() else ""
            path.write_text(set_user(text, args.name, args.role, hash_password(password)))
        except OSError as exc:
            print(f"cannot write {path}: {exc}", file=sys.stderr)
            return 1
        print(f"✔ {args.name} ({args.role}) saved in {path}; restart central to apply")
        return 0

    return run
