"""One webhook POST over http.client: never follows redirects, and reaches only the address
it checked.

Why not urllib: it follows redirects, and it resolves the host name again when it
connects, so the address checked beforehand need not be the one reached (DNS rebinding).
Here one resolution picks the address, the socket connects to that very address, and the
peer of the connected socket is checked before anything is sent: for HTTPS before the TLS
handshake, which still names the URL's host (SNI and certificate verification).
Proxies from the environment are not used: a proxy would connect wherever it is told,
after our checks.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
from typing import cast
from urllib.parse import urlsplit

from plinth.rules.webhook_addresses import ALLOW_SETTING, PUBLIC_ONLY, refusal

_ALLOW_HINT = f"{PUBLIC_ONLY} (set {ALLOW_SETTING}=1 to allow private networks)"


class AddressRefused(OSError):
    """The host is, resolves to, or connected to an address webhooks may not reach."""


def check_peer(sock: socket.socket, host: str, allow_private: bool) -> None:
    """Refuse a connected socket whose peer is not an address webhooks may reach."""
    peer = ipaddress.ip_address(sock.getpeername()[0])
    why = None if allow_private else refusal(peer)
    if why:
        raise AddressRefused(f"{host}: the connection reached {peer}, {why}; {_ALLOW_HINT}")


def open_checked_socket(
    address: tuple[str, int],
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool,
) -> socket.socket:
    """``socket.create_connection`` that resolves once, skips refused addresses and checks
    the peer of the socket it returns."""
    host, port = address
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
    allowed, refused = [], []
    for family, kind, proto, _, sockaddr in infos:
        why = None if allow_private else refusal(ipaddress.ip_address(sockaddr[0]))
        if why:
            refused.append(f"{sockaddr[0]}, {why}")
        else:
            allowed.append((family, kind, proto, sockaddr))
    if not allowed:
        raise AddressRefused(f"{host} resolves to {'; and to '.join(refused)}; {_ALLOW_HINT}")
    error: OSError | None = None
    for family, kind, proto, sockaddr in allowed:  # in the resolver's order, as urllib did
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            check_peer(sock, host, allow_private)
            return sock
        except AddressRefused:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            error = exc
    raise cast(OSError, error)  # one was tried: ``allowed`` is not empty


class _Guarded:
    """Mixin: http.client opens its socket through ``_create_connection`` (HTTPS then wraps
    it with ``server_hostname=self.host``), so ours decides what is reached."""

    def __init__(self, host: str, port: int | None, *, timeout: float, allow_private: bool):
        super().__init__(host, port, timeout=timeout)  # type: ignore[call-arg]  # HTTPConnection
        self._create_connection = functools.partial(
            open_checked_socket, allow_private=allow_private
        )


class GuardedHTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, http.client.HTTPSConnection):
    """Default TLS context: the system's CAs, hostname checked against the URL's host."""


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> tuple[int, str | None]:
    """POST ``body`` once, following no redirect: the status and the Location header.

    ``timeout`` bounds the connect and each read. Raises OSError (AddressRefused among
    them), http.client.HTTPException or ValueError for a bad URL.
    """
    parts = urlsplit(url)
    connection_class = GuardedHTTPSConnection if parts.scheme == "https" else GuardedHTTPConnection
    connection = connection_class(
        cast(str, parts.hostname),  # a URL without a host is refused before (delivery)
        parts.port,
        timeout=timeout,
        allow_private=allow_private,
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Location")
    finally:
        connection.close()
