"""Which addresses webhooks may reach: only globally routable ones, unless the setting allows
private networks; and the save-time check of webhook URLs (IP literals only, no DNS)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_SETTING = "PLINTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS"
PUBLIC_ONLY = "webhooks may only reach public addresses"

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: IPAddress) -> list[tuple[str, ipaddress.IPv4Address]]:
    """IPv4 addresses an IPv6 address leads to (mapped, 6to4, NAT64, compatible forms)."""
    if address.version == 4:
        return []
    found = [("an IPv4-mapped", address.ipv4_mapped), ("a 6to4", address.sixtofour)]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        found.append(("a NAT64", low32))
    elif address in _IPV4_COMPATIBLE and not (address.is_loopback or address.is_unspecified):
        found.append(("an IPv4-compatible", low32))
    return [(form, v4) for form, v4 in found if v4 is not None]


def _kind(address: IPAddress) -> str:
    # Order matters: the ranges overlap (ipaddress counts loopback as private, for one).
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in _SHARED:
        return "in the shared address space (100.64.0.0/10, where cloud metadata services live)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    return "not a globally routable address"


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not reach ``address`` (e.g. "a loopback address"), or None."""
    # An IPv6 form of an IPv4 address is judged by the IPv4 address, which is where the
    # packets may end up (``::ffff:127.0.0.1`` is loopback on a dual-stack host).
    for form, embedded in _embedded_ipv4(address):
        if not _reachable(embedded):
            return f"{form} form of {embedded}, {_kind(embedded)}"
    return None if _reachable(address) else _kind(address)


def _reachable(address: IPAddress) -> bool:
    # ipaddress counts multicast as global; a TCP peer never is one.
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host names without DNS (``2130706433``, ``0x7f.1`` included), or
    None for a host name."""
    host = host.removesuffix(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # AI_NUMERICHOST never asks DNS; it accepts exactly the numeric forms (inet_aton's
        # decimal, hex, octal and short ones) that a connection would read as an address.
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(infos[0][4][0])


def saved_url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL when it is saved, or None; no DNS lookups."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "has an invalid port"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "has no host"
    address = literal_address(parts.hostname)
    why = refusal(address) if address is not None else None
    if not why:
        return None
    # The metadata checks see documents, not settings, so an IP literal is refused even
    # where private networks are allowed: receivers inside them go by host name.
    shown = parts.hostname if _is_canonical(parts.hostname) else f"{parts.hostname} ({address})"
    return (
        f"{shown} is {why}; {PUBLIC_ONLY}. An IP address outside the public range is "
        f"refused even with {ALLOW_SETTING}=1: to reach a receiver in a private network, "
        "give its host name and set that option"
    )


def _is_canonical(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
