"""Which address a click is from, behind our proxies, and its keyed hash."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from campaign_pipelines.linkserver.privacy import ClientAddresses, IpHasher

PROXY = "10.0.0.2"


@pytest.fixture
def addresses() -> ClientAddresses:
    return ClientAddresses([ip_network("10.0.0.0/24")])


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:41000", "203.0.113.5"),
        ("198.51.100.7:52000, 10.0.0.9", "198.51.100.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("spoofed, 192.0.2.9:33000", "192.0.2.9"),
    ],
)
def test_client_is_the_nearest_untrusted_hop_with_any_port_left_out(
    addresses, forwarded_for, client
):
    assert addresses.client(PROXY, forwarded_for) == client


@pytest.mark.parametrize(
    "forwarded_for", ["unknown", "203.0.113.5:http", "[2001:db8::1", "[2001:db8::1]x", "1.2.3.4:"]
)
def test_an_entry_that_is_no_address_leaves_the_proxy_as_the_client(addresses, forwarded_for):
    assert addresses.client(PROXY, forwarded_for) == PROXY


def test_forwarded_for_from_a_peer_that_is_not_our_proxy_is_ignored(addresses):
    assert addresses.client("198.51.100.1", "203.0.113.5") == "198.51.100.1"


def test_people_behind_a_port_adding_proxy_get_different_hashes(addresses):
    hasher = IpHasher(b"k" * 32)
    clients = [
        addresses.client(PROXY, hop)
        for hop in ("203.0.113.5:41000", "198.51.100.7:52000", "192.0.2.9:33000")
    ]
    assert len({hasher.hash(client) for client in clients}) == 3
    assert hasher.hash("203.0.113.5") == hasher.hash(clients[0])
