"""Passwords, sessions, the failed-login throttle and the add-user config edit."""
from __future__ import annotations

import tomllib

from central import auth


def test_a_password_verifies_against_its_hash_and_nothing_else():
    stored = auth.hash_password("correct horse")
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("correct hors", stored)
    assert not auth.verify_password("correct horse", "plain-text")


def test_two_hashes_of_one_password_differ_by_salt():
    assert auth.hash_password("x" * 8) != auth.hash_password("x" * 8)


def test_a_session_expires_after_idle_time_and_is_extended_by_use():
    sessions = auth.Sessions(idle_s=100)
    s = sessions.create("lan", "viewer", now=0)
    assert sessions.get(s.token, 90) is not None
    assert sessions.get(s.token, 180) is not None  # extended at 90
    assert sessions.get(s.token, 281) is None


def test_only_operators_may_act():
    sessions = auth.Sessions(100)
    assert sessions.create("a", "operator", 0).may_act
    assert not sessions.create("b", "viewer", 0).may_act


def test_a_session_ends_at_its_absolute_lifetime_however_often_it_is_used():
    sessions = auth.Sessions(idle_s=100, max_s=250)
    s = sessions.create("lan", "viewer", now=0)
    for t in (90, 180, 240):
        assert sessions.get(s.token, t) is not None
    assert sessions.get(s.token, 251) is None


def test_the_throttle_table_stays_bounded_under_endless_new_keys():
    throttle = auth.LoginThrottle(window=60, max_keys=100)
    for i in range(10_000):
        throttle.failed([(f"ip-user:10.0.0.1:{i}", 5)], now=i / 1000)
    assert len(throttle) == 100


def test_the_throttle_blocks_after_the_limit_and_forgets_after_the_window():
    throttle = auth.LoginThrottle(window=60)
    keys = [("ip:127.0.0.1", 3), ("ip-user:127.0.0.1:lan", 3)]
    for i in range(3):
        assert throttle.retry_after(keys, i) == 0
        throttle.failed(keys, i)
    assert throttle.retry_after(keys, 10) == 50
    assert throttle.retry_after(keys, 63) == 0


def test_add_user_replaces_only_its_own_table():
    text = '[web]\nport = 8080\n\n[users.lan]\nrole = "viewer"\npassword_hash = "old"\n\n[alerts]\n'
    out = auth.set_user(text, "lan", "operator", "scrypt$1$1$1$a$b")
    parsed = tomllib.loads(out)
    assert parsed["users"]["lan"] == {"role": "operator", "password_hash": "scrypt$1$1$1$a$b"}
    assert parsed["web"] == {"port": 8080} and "alerts" in parsed
    added = tomllib.loads(auth.set_user(out, "mai", "viewer", "h"))
    assert set(added["users"]) == {"lan", "mai"}
