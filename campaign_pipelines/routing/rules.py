"""Routes as published for the link server, and the one function that picks a destination.

Publishing turns each configured route into rules over destination *keys*: a rule reads one
attribute of the voter (a district layer's value, ``state``, ``county_fips`` for regions, or
``precinct_key`` for the catalog) and maps it to a key in the ``destinations`` table, so changing
a destination's URL or address re-routes existing links without minting them again. ``choose``
is shared by the ``voter_routes`` asset (no clock: rules with a time window are skipped) and the
click-time resolver (with the clock, in the voter's own zone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from campaign_pipelines.config.links import LinksConfig, RouteRule

CATALOG_ATTRIBUTE = "precinct_key"
REGION_ATTRIBUTE = "county_fips"
FALLBACK_RULE = "fallback"
PAGE_PREFIX = "page"  # keys of configured pages: page:{route}:{rule}[:{value}]


@dataclass(frozen=True, slots=True)
class Rule:
    rule: str
    select: str | None = None  # the voter attribute the rule reads
    keys: Mapping[str, str] | None = None  # attribute value -> destination key
    catalog: str | None = None  # catalog kind: key is "{catalog}:{value}"
    key: str | None = None  # one fixed destination
    window: str | None = None
    starts: datetime | None = None  # naive: wall-clock time in the voter's zone
    ends: datetime | None = None
    channels: frozenset[str] | None = None

    def as_json(self) -> dict:
        return {
            "rule": self.rule,
            "select": self.select,
            "keys": dict(self.keys) if self.keys is not None else None,
            "catalog": self.catalog,
            "key": self.key,
            "window": self.window,
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
            "channels": sorted(self.channels) if self.channels is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Rule:
        def instant(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        channels = data.get("channels")
        return cls(
            rule=data["rule"],
            select=data.get("select"),
            keys=data.get("keys"),
            catalog=data.get("catalog"),
            key=data.get("key"),
            window=data.get("window"),
            starts=instant(data.get("starts")),
            ends=instant(data.get("ends")),
            channels=frozenset(channels) if channels is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Route:
    route: str
    rules: tuple[Rule, ...]
    fallback_key: str
    utm: Mapping[str, str] = field(default_factory=dict)

    def attributes(self) -> list[str]:
        """Voter attributes the route's rules read, in rule order."""
        return list(dict.fromkeys(r.select for r in self.rules if r.select is not None))


class Choice(NamedTuple):
    """A rule's pick for one click (a tuple: one is built per click, and tuples build fastest)."""

    destination_key: str
    rule: str
    is_fallback: bool
    reason: str | None = None
    missing: tuple[str, ...] = ()  # attributes that earlier rules needed and the context lacked


def publish_routes(links: LinksConfig) -> tuple[list[Route], dict[str, str]]:
    """The configured routes over destination keys, and each configured key's URL."""
    routes, urls = [], {}
    for name, cfg in links.routes.items():
        rules = []
        for rule in cfg.rules:
            published, rule_urls = _publish_rule(name, rule, links)
            rules.append(published)
            urls.update(rule_urls)
        fallback_key = f"{PAGE_PREFIX}:{name}:{FALLBACK_RULE}"
        urls[fallback_key] = cfg.fallback
        routes.append(Route(name, tuple(rules), fallback_key, dict(cfg.utm)))
    return routes, urls


def _publish_rule(route: str, rule: RouteRule, links: LinksConfig) -> tuple[Rule, dict[str, str]]:
    window = links.windows.get(rule.window) if rule.window else None
    common = {
        "rule": rule.rule,
        "window": rule.window,
        "starts": window.starts if window else None,
        "ends": window.ends if window else None,
        "channels": frozenset(rule.channels) if rule.channels is not None else None,
    }
    prefix = f"{PAGE_PREFIX}:{route}:{rule.rule}"
    if rule.url is not None:
        return Rule(key=prefix, **common), {prefix: rule.url}
    if rule.catalog is not None:
        return Rule(select=CATALOG_ATTRIBUTE, catalog=rule.catalog, **common), {}
    urls = {f"{prefix}:{value}": url for value, url in rule.destinations.items()}
    if rule.by == "region":
        keys = {
            county: f"{prefix}:{region}"
            for region in rule.destinations
            for county in links.regions[region]
        }
        return Rule(select=REGION_ATTRIBUTE, keys=keys, **common), urls
    keys = {value: f"{prefix}:{value}" for value in rule.destinations}
    return Rule(select=rule.by, keys=keys, **common), urls


def choose(
    route: Route,
    context: Mapping[str, str | None],
    *,
    channel: str,
    known: Callable[[str], bool],
    now: datetime | None = None,
    zone: str | None = None,
) -> Choice:
    """The first rule of ``route`` that holds for this channel and moment and knows the voter's
    ``context``; else the fallback, with the first reason a rule could not be used.

    ``known(key)`` says whether the catalog has a destination. Without ``now`` every rule with
    a time window is skipped; with it, windows are read on the clock of ``zone``.
    """
    reason, missing = None, []
    for rule in route.rules:
        if rule.channels is not None and channel not in rule.channels:
            continue
        if rule.window is not None and (now is None or not in_window(rule, now, zone or "UTC")):
            continue
        if rule.key is not None:
            return Choice(rule.key, rule.rule, False, missing=tuple(missing))
        value = context.get(rule.select or "")
        if value is None:
            missing.append(rule.select or "")
            reason = reason or f"{rule.rule}: voter has no {rule.select}"
            continue
        key = rule.keys.get(value) if rule.keys is not None else f"{rule.catalog}:{value}"
        if key is not None and known(key):
            return Choice(key, rule.rule, False, missing=tuple(missing))
        reason = reason or f"{rule.rule}: no destination for {rule.select} {value}"
    reason = reason or "no rule applies"
    return Choice(route.fallback_key, FALLBACK_RULE, True, reason, tuple(missing))


def in_window(rule: Rule, now: datetime, zone: str) -> bool:
    """Whether ``now`` (timezone-aware) falls in the rule's window on the clock of ``zone``."""
    instant = now.astimezone(UTC)
    if rule.starts is not None and instant < _utc(rule.starts, zone):
        return False
    return rule.ends is None or instant < _utc(rule.ends, zone)


@lru_cache(maxsize=4096)
def _utc(local: datetime, zone: str) -> datetime:
    # fold=0: a wall time repeated when clocks fall back means its first occurrence.
    return local.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)
