"""Signed, expiring links for people without an account (e.g. a customer's evaluation).

A link token carries its purpose, a small payload and its expiry, signed with the
instance's secret key (HMAC via itsdangerous): it cannot be forged or reused for another
purpose, and it stops working when it expires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

from plinth.config import Config, ensure_secret_key
from plinth.errors import PermissionDenied, PlinthError


class LinkTenant(Protocol):
    """What a link needs of a tenant (a ``Tenant``, or a session's ``TenantContext``): the
    secret key in its settings, and its clock."""

    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Callable[[], dt.datetime]: ...


class LinkExpired(PlinthError):
    """A signed link is past its expiry: 410."""

    status = 410
    title = "Gone"


def _serializer(tenant: LinkTenant, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(ensure_secret_key(tenant.config), salt=f"plinth.link.{purpose}")


def sign_link(
    tenant: LinkTenant, purpose: str, payload: dict[str, Any], valid_for: dt.timedelta
) -> str:
    """A URL-safe token for ``payload`` that ``read_link`` accepts until ``valid_for`` ends."""
    expires = int((tenant.clock() + valid_for).timestamp())
    return _serializer(tenant, purpose).dumps({"p": payload, "exp": expires})


def read_link(tenant: LinkTenant, purpose: str, token: str) -> tuple[dict[str, Any], dt.datetime]:
    """The payload and expiry of a token; 403 when forged or for another purpose, 410 when
    expired."""
    try:
        data = _serializer(tenant, purpose).loads(token or "")
    except BadSignature:
        raise PermissionDenied("the link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
        raise PermissionDenied("the link is not valid")
    expires = dt.datetime.fromtimestamp(data["exp"], dt.UTC)
    if tenant.clock() >= expires:
        raise LinkExpired("the link has expired")
    return data["p"], expires
