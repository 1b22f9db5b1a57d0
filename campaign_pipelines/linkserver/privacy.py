"""Who the client is, without keeping who they are: the client address and its keyed hash.

The address is the TCP peer unless the peer is one of our own proxies, in which case it is the
nearest address in ``X-Forwarded-For`` that is not (anyone can write that header; only a proxy we
run appends to it truthfully). The address itself is never stored or logged: clicks carry an
HMAC-SHA256 of it under ``LINK_IP_HASH_KEY``, enough to tell repeats apart and useless to anyone
without the key.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address

IpNetwork = IPv4Network | IPv6Network


class ClientAddresses:
    """Reads the client address from a request's peer and forwarding header."""

    def __init__(self, trusted_proxies: Sequence[IpNetwork]) -> None:
        self._trusted = tuple(trusted_proxies)
        self.is_trusted = lru_cache(maxsize=4096)(self._is_trusted)

    def client(self, peer: str | None, forwarded_for: str | None) -> str | None:
        if not self._trusted or not forwarded_for or not peer or not self.is_trusted(peer):
            return peer
        hops = [_address_of(hop) for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop is None:
                return peer
            if not self.is_trusted(hop):
                return hop
        return hops[0]

    def _is_trusted(self, address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        if parsed.version == 6 and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        return any(parsed in network for network in self._trusted)


class IpHasher:
    """HMAC-SHA256 of a client address; the same address always gives the same hash."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.hash = lru_cache(maxsize=65_536)(self._hash)

    def __repr__(self) -> str:
        return "IpHasher(key=**********)"

    def _hash(self, address: str | None) -> str | None:
        if not address:
            return None
        canonical = _canonical(address)
        return hmac.digest(self._key, canonical.encode(), "sha256")[:16].hex()


def _address_of(hop: str) -> str | None:
    """The address in one ``X-Forwarded-For`` entry, or None if it holds none.

    Some load balancers add the client's port: ``203.0.113.5:41000``, ``[2001:db8::1]:443``.
    Without it stripped, every such entry would fail to parse and the visitor would be taken
    for the proxy, making different people one client.
    """
    hop = hop.strip()
    if hop.startswith("["):  # [IPv6] or [IPv6]:port
        hop, bracket, rest = hop[1:].partition("]")
        if not bracket or (rest and not _is_port(rest)):
            return None
    elif hop.count(":") == 1:  # IPv4:port (a bare IPv6 address has at least two colons)
        hop, _, port = hop.partition(":")
        if not _is_port(":" + port):
            return None
    try:
        ip_address(hop)
    except ValueError:
        return None
    return hop


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isascii() and text[1:].isdigit() and len(text) <= 6


def _canonical(address: str) -> str:
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)
