"""Voting Information Project 3.0 flat files (as NCSBE published them for 2012): comma-separated
files, one per element, linked by ids.

Election-day sites come from precinct -> precinct_polling_location -> polling_location; a
precinct with no site of its own takes the site of its first split (precinct_split ->
precinct_split_polling_location). Early-voting ("one-stop") sites come from
precinct_early_vote_site -> early_vote_site. Hours of "00:00 to 00:00" mean "not given".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from campaign_pipelines.catalog.entries import (
    EARLY_VOTE_SITE,
    POLLING_PLACE,
    FeedError,
    entries_frame,
    join_address,
)

_UNKNOWN_HOURS = "00:00 to 00:00"


def read_vip3(folder: Path) -> pd.DataFrame:
    """Entries (see ``catalog.entries``) of a VIP 3.0 flat-file folder."""
    precinct = _read(folder, "precinct.txt").set_index("id")
    locality = _read(folder, "locality.txt").set_index("id")["name"]
    precinct["county_name"] = precinct["locality_id"].map(locality)
    source = f"vip3:{folder.name}"
    rows = [
        _entry(source, POLLING_PLACE, precinct.loc[pid], site, _place(site))
        for pid, site in _polling_locations(folder).items()
        if pid in precinct.index
    ]
    rows += [
        _entry(source, EARLY_VOTE_SITE, precinct.loc[pid], site, _early_site(site))
        for pid, site in _early_vote_sites(folder).items()
        if pid in precinct.index
    ]
    return entries_frame(rows)


def _polling_locations(folder: Path) -> dict[str, pd.Series]:
    places = _read(folder, "polling_location.txt").set_index("id")
    direct = _read(folder, "precinct_polling_location.txt")
    links = dict(zip(direct["precinct_id"], direct["polling_location_id"], strict=True))
    splits_file = folder / "precinct_split_polling_location.txt"
    if splits_file.is_file():
        splits = _read(folder, "precinct_split.txt")[["id", "precinct_id"]]
        split_sites = _read(folder, "precinct_split_polling_location.txt")
        merged = splits.merge(split_sites, left_on="id", right_on="precinct_split_id")
        for pid, site in zip(merged["precinct_id"], merged["polling_location_id"], strict=True):
            links.setdefault(pid, site)
    return {pid: places.loc[site] for pid, site in links.items() if site in places.index}


def _early_vote_sites(folder: Path) -> dict[str, pd.Series]:
    if not (folder / "precinct_early_vote_site.txt").is_file():
        return {}
    sites = _read(folder, "early_vote_site.txt").set_index("id")
    links = _read(folder, "precinct_early_vote_site.txt").drop_duplicates("precinct_id")
    return {
        pid: sites.loc[site]
        for pid, site in zip(links["precinct_id"], links["early_vote_site_id"], strict=True)
        if site in sites.index
    }


def _entry(source: str, kind: str, precinct: pd.Series, site: pd.Series, details: dict) -> dict:
    return {
        "source": source,
        "kind": kind,
        "county_name": precinct["county_name"],
        "precinct_code": precinct["number"],
        "precinct_name": precinct["name"],
        "place_id": site.name,
        "latitude": None,
        "longitude": None,
        **details,
    }


def _place(site: pd.Series) -> dict:
    hours = (site.get("polling_hours") or "").strip()
    return {
        "name": site["address_location_name"],
        "address": _address(site),
        "hours": None if hours in ("", _UNKNOWN_HOURS) else hours,
    }


def _early_site(site: pd.Series) -> dict:
    dates = f"{site['start_date']} to {site['end_date']}"
    return {
        "name": site["name"],
        "address": _address(site),
        "hours": site.get("days_times_open") or dates,
    }


def _address(site: pd.Series) -> str | None:
    street = join_address(site.get("address_line1"), site.get("address_line2"))
    return join_address(
        street,
        site.get("address_city"),
        f"{site.get('address_state', '')} {site.get('address_zip', '')}",
    )


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise FeedError(f"{path}: VIP 3.0 feed file missing") from e
    except (UnicodeError, pd.errors.ParserError) as e:
        raise FeedError(f"{path}: not a readable VIP 3.0 flat file: {e}") from e
