"""Click-time resolution: where one click on one link goes, decided from memory.

The link server calls ``load_resolver`` at start and every ~30 s, and ``Resolver.resolve`` per
click. A voter's link carries the attributes its route reads (``links.context``), so rules with
time windows are decided on the voter's own clock without a lookup; a shared link (QR, TV, mail)
has no voter, so the ZIP code the visitor types stands in for one. Destinations are read by key
from the catalog each reload, so a changed catalog re-routes existing links.

The resolver never hands back a URL that is not ``https`` on the allow-list, or the campaign's
own polling-place page: the link server redirects to whatever it gets, so this is the guard
against an open redirect.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from campaign_pipelines.db.schema.links import destinations, link_policy, routes, zip_districts
from campaign_pipelines.routing.rules import Route, Rule, choose
from campaign_pipelines.routing.urls import allow_list, destination_problem, merge_utm

log = logging.getLogger(__name__)

_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
# The rest of an own polling-page URL: a key without path or authority characters, then an
# optional query and fragment free of spaces, controls and backslashes.
_OWN_PAGE_REST = re.compile(r"[A-Za-z0-9:._~%-]+(?:[?#][^\x00-\x20\x7f\\]*)?")


class Resolution(NamedTuple):
    """``url`` to redirect to, and the rule that chose it. ``url`` None with ``needs_zip`` means
    "show the ZIP landing page"; ``url`` None without it means "nowhere safe to send" (the
    ``rule`` says why: link_disabled, link_expired, unsafe_destination, not_published)."""

    url: str | None
    rule: str
    needs_zip: bool = False


@dataclass(frozen=True)
class Policy:
    base_url: str
    allowed_domains: frozenset[str]
    timezone: str
    state: str | None = None


@dataclass
class Resolver:
    routes: Mapping[str, Route]
    urls: Mapping[str, str]  # destination key -> URL, every one already checked safe
    policy: Policy | None
    zips: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    zip_attributes: frozenset[str] = frozenset()

    def resolve(
        self, link: Mapping[str, Any], *, now: datetime, zip_code: str | None = None
    ) -> Resolution:
        """Where ``link`` (a ``links`` row as a mapping) sends a click at ``now``.

        :raises ValueError: if ``now`` is naive: a naive time cannot be placed on any clock.
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
        if self.policy is None:
            return Resolution(None, "not_published")
        if (link.get("status") or "active") != "active":
            return Resolution(None, "link_disabled")
        expires_at = link.get("expires_at")
        if expires_at is not None and now >= expires_at:
            return Resolution(None, "link_expired")
        utm = link.get("utm")
        route = self.routes.get(link.get("route") or "")
        if route is None:
            return self._minted(link, "unknown_route")

        context = _json(link.get("context"))
        zone = link.get("timezone") or self.policy.timezone
        shared = link.get("voter_id") is None
        if shared:
            context = {"state": self.policy.state, **context}
            if zip_code is not None:
                match = _ZIP.match(zip_code)
                if match is None:
                    return Resolution(None, "invalid_zip", needs_zip=True)
                found = self.zips.get(match.group(1), {})
                context.update(found)
                zone = found.get("timezone") or zone

        choice = choose(
            route,
            context,
            channel=link.get("channel") or "sms",
            known=self.urls.__contains__,
            now=now,
            zone=zone,
        )
        if shared and zip_code is None and self.zip_attributes.intersection(choice.missing):
            return Resolution(None, "zip_required", needs_zip=True)
        if choice.is_fallback and not shared and "context" not in link:
            return self._minted(link, "minted")
        url = self.urls.get(choice.destination_key)
        if url is None:
            return Resolution(None, "unsafe_destination")
        return Resolution(_with_utm(url, utm), choice.rule)

    def _minted(self, link: Mapping[str, Any], rule: str) -> Resolution:
        """The destination chosen when the link was minted, if it is still in the catalog."""
        url = self.urls.get(link.get("destination_key") or "")
        if url is None:
            return Resolution(None, "unsafe_destination")
        return Resolution(_with_utm(url, link.get("utm")), rule)


def load_resolver(conn: Connection) -> Resolver:
    """Routes, safe destinations, the policy and the ZIP lookup, read once into memory."""
    row = conn.execute(select(link_policy)).mappings().first()
    if row is None:
        return Resolver(routes={}, urls={}, policy=None)
    policy = Policy(
        row["base_url"], allow_list(row["allowed_domains"]), row["timezone"], row["state"]
    )
    published = {
        r.route: Route(r.route, tuple(Rule.from_json(x) for x in r.rules), r.fallback_key, r.utm)
        for r in conn.execute(select(routes)).all()
    }
    urls, unsafe = {}, []
    for key, url in conn.execute(select(destinations.c.destination_key, destinations.c.url)):
        if url is not None and is_safe(url, policy):
            urls[key] = url
        else:
            unsafe.append(key)
    if unsafe:
        log.warning("%d destinations are not safe to redirect to, e.g. %s", len(unsafe), unsafe[0])
    zips: dict[str, dict[str, str]] = {}
    for zip_code, attribute, value in conn.execute(
        select(zip_districts.c.zip_code, zip_districts.c.attribute, zip_districts.c.value)
    ):
        zips.setdefault(zip_code, {})[attribute] = value
    attributes = frozenset(a for values in zips.values() for a in values) - {"timezone"}
    return Resolver(published, urls, policy, zips, attributes)


def is_safe(url: str, policy: Policy) -> bool:
    """``https`` on the allow-list, or the campaign's own polling-place page (one path segment
    under ``{base_url}/p/``, any query)."""
    own_pages = f"{policy.base_url.rstrip('/')}/p/"
    if url.startswith(own_pages):
        return _OWN_PAGE_REST.fullmatch(url[len(own_pages) :]) is not None
    return destination_problem(url, policy.allowed_domains) is None


@lru_cache(maxsize=65_536)
def _merged(url: str, utm: tuple[tuple[str, str], ...]) -> str:
    return merge_utm(url, dict(utm))


def _with_utm(url: str, utm: Any) -> str:
    return _merged(url, utm_items(utm))


def utm_items(value: Any) -> tuple[tuple[str, str], ...]:
    """A link's UTM parameters as a hashable tuple (a prepared tuple is returned as it is)."""
    if isinstance(value, tuple):
        return value
    return tuple((str(k), str(v)) for k, v in _json(value).items())


def prepare_link(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` (a ``links`` row) made ready for many resolutions: JSON columns parsed once.
    The link server does this when it caches a link, so a click does no parsing."""
    row["utm"] = utm_items(row.get("utm"))
    row["context"] = _json(row.get("context"))
    return row


def _json(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        return json.loads(value) if value else {}
    return value
