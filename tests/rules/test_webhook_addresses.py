"""Which addresses webhooks may reach: the address policy, the connected-peer check and the
save-time refusal of IP-literal URLs (no network beyond loopback)."""

import ipaddress
import socket

import pytest

from plinth.errors import MetadataInvalid
from plinth.rules.webhook_addresses import literal_address, refusal, saved_url_problem
from plinth.rules.webhook_transport import AddressRefused, check_peer, open_checked_socket

ORDER = {"name": "order", "fields": [{"name": "number", "type": "text"}]}


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("100.100.100.200", "in the shared address space (100.64.0.0/10"),
        ("100.64.0.1", "in the shared address space (100.64.0.0/10"),
        ("::ffff:127.0.0.1", "an IPv4-mapped form of 127.0.0.1, a loopback address"),
        ("0.0.0.0", "the unspecified address"),
        ("169.254.169.254", "a link-local address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("192.0.2.1", "a private address"),  # documentation range
        ("240.0.0.1", "a reserved address"),
        ("2002:7f00:1::", "a 6to4 form of 127.0.0.1, a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a NAT64 form of 169.254.169.254, a link-local address"),
        ("::a9fe:a9fe", "an IPv4-compatible form of 169.254.169.254, a link-local address"),
    ],
)
def test_every_non_global_address_is_refused(address, why):
    assert why in refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:1.1.1.1"]
)
def test_global_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # forms the C resolver reads as numbers, with no DNS
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("hooks.example.com", None),
        ("localhost", None),
    ],
)
def test_ip_literals_are_recognised_without_dns(host, address, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def numeric_only(*args, **kwargs):
        assert kwargs.get("flags", 0) & socket.AI_NUMERICHOST, "a DNS lookup at save time"
        return real_getaddrinfo(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
    found = literal_address(host)
    assert (found and str(found).split("%")[0]) == address


@pytest.fixture
def listener():
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)
        yield server


def test_the_connected_peer_is_checked(listener):
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        with pytest.raises(AddressRefused, match="127.0.0.1, a loopback address"):
            check_peer(sock, "example.test", allow_private=False)
        check_peer(sock, "example.test", allow_private=True)


def test_a_refused_name_is_never_connected_to(listener):
    port = listener.getsockname()[1]
    with pytest.raises(AddressRefused, match="PLINTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1"):
        open_checked_socket(("localhost", port), 2, allow_private=False)
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing connected
    with open_checked_socket(("localhost", port), 2, allow_private=True) as sock:
        assert sock.getpeername()[1] == port and sock.gettimeout() == 2


def _automation(url: str) -> tuple[str, dict]:
    return (
        "automations",
        {
            "name": "probe",
            "object": "order",
            "trigger": {"type": "on_create"},
            "actions": [
                {"type": "webhook", "url": "https://hooks.example.com/fine"},
                {"type": "webhook", "url": url},
            ],
        },
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8080/x", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://100.100.100.200/latest", "100.100.100.200 is in the shared address space"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is the unspecified address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1"),
        ("http://2130706433/", "2130706433 (127.0.0.1) is a loopback address"),
        ("https://0x7f.1/", "0x7f.1 (127.0.0.1) is a loopback address"),
    ],
)
def test_ip_literal_urls_outside_the_public_range_are_refused_when_saved(publish, url, said):
    publish(ORDER)
    with pytest.raises(MetadataInvalid) as refused:
        publish(_automation(url))
    assert refused.value.status == 422
    [(where, [message])] = refused.value.errors.items()
    assert where == "/actions/1/url" and said in message
    assert "PLINTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS" in message


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/x", "http://[2606:4700::1111]/", "http://8.8.8.8:8080/"]
)
def test_public_urls_are_accepted_when_saved(publish, url):
    publish(ORDER)
    assert publish(_automation(url)).revision_id


def test_saved_url_problems_cover_scheme_host_and_port():
    assert saved_url_problem("ftp://hooks.example.com/") == "must be an http:// or https:// URL"
    assert saved_url_problem("http:///path") == "has no host"
    assert "port" in saved_url_problem("http://hooks.example.com:99999/")
    assert saved_url_problem("https://hooks.example.com/x") is None
