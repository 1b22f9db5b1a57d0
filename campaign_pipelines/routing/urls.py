"""Which destination URLs a link may reach, and how a link's UTM tags join a URL's query.

A destination is safe when it is ``https``, carries no user name or password, and its host is on
the campaign's allow-list. Hosts are compared in their IDNA ASCII ("punycode") form, so
``bücher.example`` and ``xn--bcher-kva.example`` are the same host, and a look-alike in another
script is a different one. An allow-list entry ``example.org`` admits exactly that host;
``*.example.org`` admits its subdomains (not the bare domain). Anything a browser might parse
differently from us (spaces, control characters, backslashes) is refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit

import idna

# Conventional order, so a link's tags always appear the same way whatever JSON did to the keys.
UTM_ORDER = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


class HostError(ValueError):
    """A host name that is not a valid internationalised domain name."""


@lru_cache(maxsize=4096)
def ascii_host(host: str) -> str:
    """The IDNA ASCII form of ``host``: lower case, no trailing dot (``Bücher.Example.`` ->
    ``xn--bcher-kva.example``)."""
    cleaned = host.strip().rstrip(".")
    if not cleaned:
        raise HostError("empty host name")
    try:
        return idna.encode(cleaned, uts46=True).decode("ascii")
    except idna.IDNAError as e:
        raise HostError(f"{host!r} is not a valid domain name: {e}") from e


def allow_list(entries: Iterable[str]) -> frozenset[str]:
    """Allow-list entries in ASCII form; ``*.`` prefixes are kept as they are."""
    normalised = set()
    for entry in entries:
        wildcard = entry.startswith("*.")
        host = ascii_host(entry[2:] if wildcard else entry)
        normalised.add(f"*.{host}" if wildcard else host)
    return frozenset(normalised)


def destination_problem(url: str, allowed: frozenset[str]) -> str | None:
    """Why ``url`` may not be a link destination, or None when it may. ``allowed`` comes from
    ``allow_list``."""
    if _UNSAFE_CHARACTERS.search(url):
        return "contains spaces, control characters or backslashes"
    try:
        parts = urlsplit(url)
    except ValueError as e:
        return f"is not a URL ({e})"
    if parts.scheme.lower() != "https":
        return f"uses {parts.scheme or 'no'} scheme; only https destinations are allowed"
    if "@" in parts.netloc:
        return "carries a user name or password"
    if not parts.hostname:
        return "has no host"
    try:
        host = ascii_host(parts.hostname)
        _ = parts.port  # raises on a malformed port
    except ValueError as e:
        return str(e)
    if not host_is_allowed(host, allowed):
        return f"host {host} is not on the allow-list"
    return None


def host_is_allowed(host: str, allowed: frozenset[str]) -> bool:
    if host in allowed:
        return True
    labels = host.split(".")
    return any(f"*.{'.'.join(labels[i:])}" in allowed for i in range(1, len(labels) - 1))


def merge_utm(url: str, utm: Mapping[str, str]) -> str:
    """``url`` with the link's UTM tags: the existing query is kept as written, a key the link
    sets takes the link's value in its first place (later repeats dropped), and tags the URL
    lacks are appended in ``UTM_ORDER`` (then any others by name). The fragment stays last."""
    if not utm:
        return url
    head, hash_mark, fragment = url.partition("#")
    base, _, query = head.partition("?")
    written: set[str] = set()
    segments = []
    for segment in query.split("&") if query else []:
        key = unquote_plus(segment.split("=", 1)[0])
        if key not in utm:
            segments.append(segment)
        elif key not in written:
            segments.append(_pair(key, utm[key]))
            written.add(key)
    segments.extend(_pair(key, utm[key]) for key in ordered_keys(utm) if key not in written)
    return f"{base}?{'&'.join(segments)}{hash_mark}{fragment}"


def ordered_keys(utm: Mapping[str, str]) -> list[str]:
    known = [key for key in UTM_ORDER if key in utm]
    return known + sorted(key for key in utm if key not in UTM_ORDER)


def _pair(key: str, value: str) -> str:
    return f"{quote(key, safe='')}={quote(str(value), safe='')}"


def polling_page_url(base_url: str, destination_key: str) -> str:
    """The campaign's own polling-place page on the link server for one catalog entry."""
    return f"{base_url.rstrip('/')}/p/{quote(destination_key, safe=':')}"
