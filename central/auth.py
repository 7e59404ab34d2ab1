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
from collections import OrderedDict, deque
from dataclasses import dataclass, replace
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
    expires: float  # monotonic seconds: idle expiry, pushed on by use ...
    ends: float = float("inf")  # ... but never past this absolute end

    @property
    def may_act(self) -> bool:
        return self.role == "operator"


class Sessions:
    """Session tokens -> Session, with idle expiry and an absolute lifetime; thread-safe."""

    def __init__(self, idle_s: float, max_s: float = float("inf")):
        self.idle_s, self.max_s = idle_s, max_s
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str, role: str, now: float) -> Session:
        ends = now + self.max_s
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user, role,
                    min(now + self.idle_s, ends), ends)
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
            s = self._by_token[s.token] = replace(s, expires=min(now + self.idle_s, s.ends))
            return s

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)


class LoginThrottle:
    """Failed logins per key within `window` seconds, each key with its own limit.

    The table is bounded: at most `max_keys` keys (the least recently failed go first) and
    `limit` timestamps per key, so refused logins with endless new names or addresses
    cannot grow memory.
    """

    def __init__(self, window: float = 900.0, max_keys: int = 4096):
        self.window, self.max_keys = window, max_keys
        self._fails: OrderedDict[str, deque] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        q = self._fails.get(key) or deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, keys: list[tuple[str, int]], now: float) -> float:
        """Seconds until another attempt is allowed (0 = now), for (key, limit) pairs."""
        with self._lock:
            waits = [q[-limit] + self.window - now for key, limit in keys
                     if len(q := self._recent(key, now)) >= limit]
        return max(waits, default=0.0)

    def failed(self, keys: list[tuple[str, int]], now: float) -> None:
        with self._lock:
            for key, limit in keys:
                q = self._recent(key, now)
                q.append(now)
                while len(q) > limit:
                    q.popleft()
                self._fails[key] = q
                self._fails.move_to_end(key)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)

    def __len__(self) -> int:
        return len(self._fails)


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
