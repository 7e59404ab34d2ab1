"""Logins cannot be turned against users: throttling by address and (address, user),
a proxy header believed only from a configured proxy, equal work for unknown names,
and no `Origin: null`."""
from __future__ import annotations

from email.message import Message
from http import HTTPStatus

import pytest

from central import auth
from central.access import Access, HttpError, Request
from central.config import CentralConfig
from common.settings import load_table

PASSWORD = "correct horse 1"
HASH = auth.hash_password(PASSWORD)


def access(**web) -> Access:
    cfg = load_table(CentralConfig, {"web": {"login_attempts": 3, **web},
                                     "users": {"lan": {"role": "operator", "password_hash": HASH}}})
    return Access(cfg)


def request(client: str = "192.0.2.10", **headers) -> Request:
    msg = Message()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return Request("POST", "/login", {}, msg, b"", client)


def fail(acc: Access, req: Request, user: str, times: int) -> None:
    for _ in range(times):
        try:
            assert not acc.check_login(req, user, "wrong")
        except HttpError as exc:
            assert exc.status == HTTPStatus.TOO_MANY_REQUESTS


def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere():
    acc = access()
    fail(acc, request("192.0.2.66"), "lan", 10)
    with pytest.raises(HttpError):
        acc.check_login(request("192.0.2.66"), "lan", PASSWORD)
    assert acc.check_login(request("192.0.2.10"), "lan", PASSWORD)


def test_one_address_trying_many_names_is_throttled_for_all_names():
    acc = access()
    for i in range(12):  # 4 x the per-user limit of 3
        fail(acc, request("192.0.2.66"), f"guess{i}", 1)
    with pytest.raises(HttpError) as err:
        acc.check_login(request("192.0.2.66"), "lan", PASSWORD)
    assert err.value.status == HTTPStatus.TOO_MANY_REQUESTS


def test_behind_a_trusted_proxy_failures_count_per_forwarded_address():
    acc = access(trusted_proxies=["127.0.0.1"])
    for i in range(20):
        fail(acc, request("127.0.0.1", X_Forwarded_For="198.51.100.7"), f"made-up{i}", 1)
    staff = request("127.0.0.1", X_Forwarded_For="198.51.100.8")
    assert acc.check_login(staff, "lan", PASSWORD)


def test_a_forwarded_header_is_ignored_without_a_configured_proxy():
    acc = access()
    req = request("192.0.2.66", X_Forwarded_For="198.51.100.8")
    assert acc.client_address(req) == "192.0.2.66"


def test_a_spoofed_chain_behind_the_proxy_yields_the_nearest_untrusted_hop():
    acc = access(trusted_proxies=["127.0.0.0/8"])
    req = request("127.0.0.1", X_Forwarded_For="203.0.113.9, 198.51.100.7, 127.0.0.2")
    assert acc.client_address(req) == "198.51.100.7"


def test_an_unknown_user_name_costs_one_password_hash_like_a_known_one(monkeypatch):
    acc = access()
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    assert not acc.check_login(request(), "nobody", PASSWORD)
    assert not acc.check_login(request(), "lan", "wrong")
    assert len(calls) == 2 and all(auth.is_hash(h) for h in calls)


@pytest.mark.parametrize("origin", ["null", "http://evil.example"])
def test_a_post_from_a_null_or_foreign_origin_is_refused(origin):
    with pytest.raises(HttpError) as err:
        Access.check_origin(request(Origin=origin, Host="127.0.0.1:8080"))
    assert err.value.status == HTTPStatus.FORBIDDEN


def test_a_post_from_our_own_origin_passes():
    Access.check_origin(request(Origin="http://127.0.0.1:8080", Host="127.0.0.1:8080"))
