"""Failed logins slow down the (account, address) that fails, with growing delays; they never
lock the right password out from an address the account uses."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from plinth.auth.login import ACCOUNT_FREE, ADDRESS_FREE, PAIR_FREE
from plinth.testing import PASSWORD

TOKEN = "/api/v1/auth/token"


def _try(client, address: str, email="admin@example.com", password=PASSWORD, headers=None):
    return client.post(
        TOKEN,
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    )


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


def test_failures_slow_down_their_own_address_with_growing_delays(client, admin, clock):
    for _ in range(PAIR_FREE):
        assert _try(client, "203.0.113.7", password="wrong guess").status_code == 401
    refused = _try(client, "203.0.113.7")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    # The right password from another address gets through: nobody else is locked out.
    assert _try(client, "198.51.100.20").status_code == 201
    clock.shift(dt.timedelta(seconds=31))
    assert _try(client, "203.0.113.7", password="wrong again").status_code == 401
    assert _try(client, "203.0.113.7").headers["Retry-After"] == "60"  # the delay doubles
    clock.shift(dt.timedelta(seconds=61))
    assert _try(client, "203.0.113.7").status_code == 201


def test_a_success_forgets_the_addresses_earlier_typos(client, admin, clock):
    for _ in range(PAIR_FREE - 1):
        _try(client, "203.0.113.7", password="typo")
    assert _try(client, "203.0.113.7").status_code == 201
    assert _try(client, "203.0.113.7", password="typo").status_code == 401
    assert _try(client, "203.0.113.7").status_code == 201


def test_an_account_guessed_from_many_addresses_stays_open_from_its_usual_one(client, admin, clock):
    assert _try(client, "192.0.2.10").status_code == 201  # the admin's office
    for n in range(ACCOUNT_FREE):
        assert _try(client, f"203.0.113.{n + 1}", password=f"guess {n}").status_code == 401
    assert _try(client, "203.0.113.200").status_code == 429  # a new address waits
    assert _try(client, "192.0.2.10").status_code == 201  # the office does not


def test_an_address_guessing_many_accounts_slows_only_accounts_it_does_not_know(
    client, admin, people, clock
):
    people("ann")
    assert _try(client, "192.0.2.99", "ann@example.com").status_code == 201
    for n in range(ADDRESS_FREE):
        _try(client, "192.0.2.99", f"user{n}@example.com", "guess")
    assert _try(client, "192.0.2.99", "admin@example.com").status_code == 429
    assert _try(client, "192.0.2.99", "ann@example.com").status_code == 201


def test_proxy_headers_count_only_when_proxies_are_trusted(plinth_settings, tenant, admin, app):
    from plinth.app import create_app

    spoofed = {"X-Forwarded-For": "198.51.100.1"}
    # Untrusted: the header is ignored, so a client cannot pick a fresh address per try.
    for _ in range(PAIR_FREE):
        _try(app.test_client(), "10.0.0.5", password="wrong", headers=spoofed)
    assert _try(app.test_client(), "10.0.0.5", headers=spoofed).status_code == 429

    behind_proxy = create_app({**plinth_settings, "TRUSTED_PROXIES": 1})
    try:
        client = behind_proxy.test_client()
        for _ in range(PAIR_FREE):
            _try(client, "10.0.0.1", password="wrong", headers={"X-Forwarded-For": "203.0.113.5"})
        assert _try(client, "10.0.0.1", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == (
            429
        )
        # Another client behind the same proxy is someone else.
        assert _try(client, "10.0.0.1", headers={"X-Forwarded-For": "203.0.113.6"}).status_code == (
            201
        )
    finally:
        behind_proxy.extensions["plinth"].tenant.dispose()
