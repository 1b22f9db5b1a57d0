"""Links and routes in the campaign config: where each voter's link may land, and when.

A route (``polling_place``, ``donate``…) is an ordered list of rules and a fallback. A rule sends
to one fixed ``url``, to a URL chosen ``by`` the voter's value of something (a district layer,
their ``region`` or ``state``), or to their entry in the destination ``catalog`` (polling place,
early-voting site). A rule may hold only inside a named time window (wall-clock time in the
voter's own zone) and only for some channels. The first rule that holds and knows the voter wins;
otherwise the fallback. Every URL must be ``https`` on an allow-listed domain: the check runs when
the config is loaded and names the route and rule that hold a bad URL.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from campaign_pipelines.config.base import Strict
from campaign_pipelines.routing.urls import HostError, allow_list, destination_problem

NAME = r"^[a-z][a-z0-9_]{0,40}$"
Channel = Literal["sms", "qr", "tv", "mail"]
CatalogKind = Literal["polling_place", "early_vote_site"]
SPECIAL_SELECTORS = ("state", "region")
# Paths the link server answers itself; a vanity code may not take them.
RESERVED_CODES = frozenset({"api", "healthz", "health", "static", "twilio", "zip", "robots.txt"})
MINTED_CODE_LENGTH = 9


def _utm_tags(utm: dict[str, str]) -> dict[str, str]:
    bad = [key for key in utm if not re.fullmatch(r"utm_[a-z_]{1,30}", key)]
    if bad:
        raise ValueError(f"UTM tags must be named utm_* in lower case: {bad}")
    return utm


class TimeWindow(Strict):
    """From ``starts`` up to, not including, ``ends``, on the voter's own clock. Either end may
    be left open. Times carry no UTC offset: 19:30 means 19:30 wherever the voter is."""

    starts: datetime | None = None
    ends: datetime | None = None

    @model_validator(mode="after")
    def _local_and_ordered(self) -> TimeWindow:
        if self.starts is None and self.ends is None:
            raise ValueError("a time window needs starts, ends or both")
        if any(t is not None and t.tzinfo is not None for t in (self.starts, self.ends)):
            raise ValueError("window times are the voter's local wall-clock time: no UTC offset")
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValueError("a window's ends must be after its starts")
        return self


class RouteRule(Strict):
    rule: str = Field(pattern=NAME)
    url: str | None = None
    by: str | None = None
    destinations: dict[str, str] = Field(default_factory=dict)
    catalog: CatalogKind | None = None
    window: str | None = None
    channels: list[Channel] | None = None

    @model_validator(mode="after")
    def _one_kind_of_destination(self) -> RouteRule:
        kinds = [self.url is not None, bool(self.destinations), self.catalog is not None]
        if sum(kinds) != 1:
            raise ValueError(f"rule {self.rule!r} needs exactly one of url, destinations, catalog")
        if bool(self.destinations) != (self.by is not None):
            raise ValueError(f"rule {self.rule!r}: 'by' and 'destinations' go together")
        return self

    def urls(self) -> dict[str, str]:
        """Each URL of the rule, labelled for error messages."""
        if self.url is not None:
            return {"url": self.url}
        return {f"destination {value!r}": url for value, url in self.destinations.items()}


class RouteConfig(Strict):
    utm: dict[str, str] = Field(default_factory=dict)
    rules: list[RouteRule] = Field(default_factory=list)
    fallback: str

    @field_validator("utm")
    @classmethod
    def _utm_keys(cls, utm: dict[str, str]) -> dict[str, str]:
        return _utm_tags(utm)

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, rules: list[RouteRule]) -> list[RouteRule]:
        names = [r.rule for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1} | ({"fallback"} & set(names)))
        if dupes:
            raise ValueError(f"rule names must be unique and not 'fallback': {dupes}")
        return rules


class Placement(Strict):
    """A shared link printed or broadcast once (yard-sign QR, TV spot, mailer), routed by the
    ZIP code the visitor enters. ``code`` sets a vanity path; otherwise one is minted."""

    placement: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    route: str
    channel: Literal["qr", "tv", "mail"]
    code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$")
    utm: dict[str, str] = Field(default_factory=dict)

    @field_validator("utm")
    @classmethod
    def _utm_keys(cls, utm: dict[str, str]) -> dict[str, str]:
        return _utm_tags(utm)

    @field_validator("code")
    @classmethod
    def _vanity_cannot_clash(cls, code: str | None) -> str | None:
        if code is None:
            return code
        if code.lower() in RESERVED_CODES:
            raise ValueError(f"vanity code {code!r} is a path the link server uses")
        if len(code) == MINTED_CODE_LENGTH and code.isalnum():
            raise ValueError(
                f"vanity code {code!r} looks like a minted code; use another length or a hyphen"
            )
        return code


class PollingPlacesConfig(Strict):
    """Where polling places come from and which page a voter lands on for theirs.

    ``page: campaign`` is the campaign's own page on the link server (name, address, hours and a
    map link); ``page: official`` sends to ``official_lookup_url``. ``election_day_hours`` is
    shown where a feed gives no hours (NC polls are open 6:30 a.m. to 7:30 p.m. by statute).
    ``sources`` are read in order and the first that knows a precinct wins: ``ncsbe`` (NCSBE
    polling-place list), ``vip3`` (VIP 3.0 flat-file folder), ``vip5_csv`` (VIP 5.x CSV folder)
    or ``vip5_xml`` (VIP 5.x XML file).
    """

    page: Literal["campaign", "official"] = "campaign"
    official_lookup_url: str | None = None
    maps_search_url: str = "https://www.google.com/maps/search/?api=1&query="
    election_day_hours: str | None = None
    sources: list[dict[Literal["ncsbe", "vip3", "vip5_csv", "vip5_xml"], str]] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _official_page_needs_url(self) -> PollingPlacesConfig:
        if self.page == "official" and not self.official_lookup_url:
            raise ValueError("page: official needs official_lookup_url")
        if any(len(source) != 1 for source in self.sources):
            raise ValueError("each polling-place source names one format and one path")
        return self


class LinksConfig(Strict):
    """Where short links point and which destinations they may reach."""

    base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the link server; short links are base_url/CODE.",
    )
    allowed_domains: list[str] = Field(default_factory=list)
    regions: dict[str, list[str]] = Field(default_factory=dict)
    windows: dict[str, TimeWindow] = Field(default_factory=dict)
    polling_places: PollingPlacesConfig = Field(default_factory=PollingPlacesConfig)
    routes: dict[str, RouteConfig] = Field(default_factory=dict)
    placements: list[Placement] = Field(default_factory=list)

    @field_validator("regions")
    @classmethod
    def _regions_are_disjoint_county_sets(cls, regions: dict[str, list[str]]) -> dict:
        seen: dict[str, str] = {}
        for region, counties in regions.items():
            for county in counties:
                if not (len(county) == 5 and county.isdigit()):
                    raise ValueError(f"region {region!r}: {county!r} is not a 5-digit county GEOID")
                if county in seen:
                    raise ValueError(f"county {county} is in both {seen[county]!r} and {region!r}")
                seen[county] = region
        return regions

    @model_validator(mode="after")
    def _references_and_urls(self) -> LinksConfig:
        try:
            allowed = self.allowed()
        except HostError as e:
            raise ValueError(f"allowed_domains: {e}") from e
        problems = [*self._reference_problems(), *self._url_problems(allowed)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def allowed(self) -> frozenset[str]:
        """The allow-list in IDNA ASCII form."""
        return allow_list(self.allowed_domains)

    def _reference_problems(self) -> list[str]:
        problems = []
        for name, route in self.routes.items():
            for rule in route.rules:
                where = f"route {name!r}, rule {rule.rule!r}"
                if rule.window is not None and rule.window not in self.windows:
                    problems.append(f"{where}: no time window named {rule.window!r}")
                if rule.by == "region":
                    unknown = sorted(set(rule.destinations) - set(self.regions))
                    if unknown:
                        problems.append(f"{where}: no region named {unknown}")
        for placement in self.placements:
            if placement.route not in self.routes:
                problems.append(f"placement {placement.placement!r}: no route {placement.route!r}")
        return problems

    def _url_problems(self, allowed: frozenset[str]) -> list[str]:
        labelled = [
            (f"route {name!r}, rule {rule.rule!r}, {label}", url)
            for name, route in self.routes.items()
            for rule in route.rules
            for label, url in rule.urls().items()
        ]
        labelled += [(f"route {name!r}, fallback", r.fallback) for name, r in self.routes.items()]
        official = self.polling_places.official_lookup_url
        if official is not None:
            labelled.append(("polling_places.official_lookup_url", official))
        return [
            f"{where}: {url!r} {problem}"
            for where, url in labelled
            if (problem := destination_problem(url, allowed)) is not None
        ]
