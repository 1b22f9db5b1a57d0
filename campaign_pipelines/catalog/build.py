"""The destination catalog: every place a link can land, as rows of the ``destinations`` table.

Polling places and early-voting sites get one row per voter precinct (key
``polling_place:{precinct_key}``), so a site that moves is fixed in one place and every link of
that precinct follows. Pages named in the routes (donate, volunteer, candidate…) get one row per
configured URL, keyed by route and rule.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

import pandas as pd

from campaign_pipelines.catalog.entries import EARLY_VOTE_SITE, POLLING_PLACE
from campaign_pipelines.catalog.match import match_precincts
from campaign_pipelines.catalog.ncsbe import read_ncsbe
from campaign_pipelines.catalog.vip3 import read_vip3
from campaign_pipelines.catalog.vip5 import read_vip5_csv, read_vip5_xml
from campaign_pipelines.config.links import LinksConfig
from campaign_pipelines.routing.urls import polling_page_url

READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "ncsbe": read_ncsbe,
    "vip3": read_vip3,
    "vip5_csv": read_vip5_csv,
    "vip5_xml": read_vip5_xml,
}
DESTINATION_COLUMNS = [
    "destination_key",
    "kind",
    "name",
    "url",
    "address",
    "hours",
    "maps_url",
    "county_fips",
    "precinct_key",
    "latitude",
    "longitude",
    "source",
    "details",
]
CATALOG_KINDS = (POLLING_PLACE, EARLY_VOTE_SITE)


def read_sources(links: LinksConfig, resolve: Callable[[str], Path]) -> list[pd.DataFrame]:
    """Entries of every configured polling-place source, in the configured order."""
    return [
        READERS[fmt](resolve(raw))
        for source in links.polling_places.sources
        for fmt, raw in source.items()
    ]


def catalog_sites(
    precincts: pd.DataFrame, entries: list[pd.DataFrame], links: LinksConfig
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Destination rows for matched precincts, and the match of every precinct per kind."""
    matches = {kind: match_precincts(precincts, entries, kind) for kind in CATALOG_KINDS}
    rows = [_site_rows(matched, kind, links) for kind, matched in matches.items()]
    return pd.concat(rows, ignore_index=True), matches


def _site_rows(matched: pd.DataFrame, kind: str, links: LinksConfig) -> pd.DataFrame:
    found = matched[matched["match"].notna()]
    cfg = links.polling_places
    keys = kind + ":" + found["precinct_key"]
    if cfg.page == "campaign":
        urls = keys.map(lambda key: polling_page_url(links.base_url, key))
    else:
        urls = pd.Series(cfg.official_lookup_url, index=found.index)
    hours = found["hours"]
    if kind == POLLING_PLACE and cfg.election_day_hours:
        hours = hours.fillna(cfg.election_day_hours)
    maps = found["address"].map(
        lambda a: f"{cfg.maps_search_url}{quote_plus(a)}" if isinstance(a, str) else None
    )
    details = [
        {"match": m, "place_id": p, "page": cfg.page}
        for m, p in zip(found["match"], found["place_id"], strict=True)
    ]
    return pd.DataFrame(
        {
            "destination_key": keys,
            "kind": kind,
            "name": found["name"],
            "url": urls,
            "address": found["address"],
            "hours": hours,
            "maps_url": maps,
            "county_fips": found["county_fips"],
            "precinct_key": found["precinct_key"],
            "latitude": found["latitude"],
            "longitude": found["longitude"],
            "source": found["source"],
            "details": details,
        }
    )[DESTINATION_COLUMNS]


def page_rows(urls: dict[str, str]) -> pd.DataFrame:
    """Destination rows for the pages the routes name (key ``page:route:rule[:value]``); the
    kind is the route."""
    return pd.DataFrame(
        {
            "destination_key": list(urls),
            "kind": [key.split(":")[1] for key in urls],
            "name": None,
            "url": list(urls.values()),
            "address": None,
            "hours": None,
            "maps_url": None,
            "county_fips": None,
            "precinct_key": None,
            "latitude": None,
            "longitude": None,
            "source": "campaign_config",
            "details": [{} for _ in urls],
        },
        columns=DESTINATION_COLUMNS,
    )
