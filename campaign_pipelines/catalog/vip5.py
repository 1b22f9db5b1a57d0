"""Voting Information Project 5.x feeds, in either published form: the CSV folder (one file per
element, ids separated by spaces in ``*_ids`` columns) or one XML document (``VipObject``).

Both link Precinct -> PollingLocationIds -> PollingLocation. A precinct's election-day site is
its first location that is not only an early-voting site or a drop box; its early-voting site is
its first location marked ``is_early_voting``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from campaign_pipelines.catalog.entries import (
    EARLY_VOTE_SITE,
    POLLING_PLACE,
    FeedError,
    entries_frame,
)


def read_vip5_csv(folder: Path) -> pd.DataFrame:
    """Entries (see ``catalog.entries``) of a VIP 5.x CSV folder."""
    localities = _csv(folder / "locality.txt").set_index("id")["name"].to_dict()
    places = {
        row["id"]: _csv_place(row)
        for row in _csv(folder / "polling_location.txt").to_dict("records")
    }
    precincts = [
        {
            "locality": localities.get(row["locality_id"]),
            "name": row["name"],
            "number": row.get("number"),
            "place_ids": row.get("polling_location_ids", "").split(),
        }
        for row in _csv(folder / "precinct.txt").to_dict("records")
    ]
    return _entries(f"vip5_csv:{folder.name}", precincts, places)


def read_vip5_xml(path: Path) -> pd.DataFrame:
    """Entries (see ``catalog.entries``) of a VIP 5.x XML feed."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise FeedError(f"{path}: not a readable VIP XML feed: {e}") from e
    if root.tag != "VipObject" or not root.get("schemaVersion", "").startswith("5."):
        raise FeedError(
            f"{path}: expected a VipObject of schema 5.x, got {root.tag} "
            f"{root.get('schemaVersion')!r}"
        )
    hours = {h.get("id"): _xml_hours(h) for h in root.iter("HoursOpen")}
    localities = {loc.get("id"): loc.findtext("Name") for loc in root.iter("Locality")}
    places = {p.get("id"): _xml_place(p, hours) for p in root.iter("PollingLocation")}
    precincts = [
        {
            "locality": localities.get(p.findtext("LocalityId", "")),
            "name": p.findtext("Name"),
            "number": p.findtext("Number"),
            "place_ids": p.findtext("PollingLocationIds", "").split(),
        }
        for p in root.iter("Precinct")
    ]
    return _entries(f"vip5_xml:{path.name}", precincts, places)


def _entries(source: str, precincts: list[dict], places: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for precinct in precincts:
        sites = [(pid, places[pid]) for pid in precinct["place_ids"] if pid in places]
        in_person = [s for s in sites if not s[1]["drop_box"]]
        election_day = [s for s in in_person if not s[1]["early"]] or in_person
        early = [s for s in in_person if s[1]["early"]]
        for kind, chosen in ((POLLING_PLACE, election_day), (EARLY_VOTE_SITE, early)):
            if chosen:
                place_id, place = chosen[0]
                rows.append(
                    {
                        "source": source,
                        "kind": kind,
                        "county_name": precinct["locality"],
                        "precinct_code": precinct["number"],
                        "precinct_name": precinct["name"],
                        "place_id": place_id,
                        "name": place["name"],
                        "address": place["address"],
                        "hours": place["hours"],
                        "latitude": place["latitude"],
                        "longitude": place["longitude"],
                    }
                )
    return entries_frame(rows)


def _csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise FeedError(f"{path}: VIP 5.x CSV file missing") from e
    except (UnicodeError, pd.errors.ParserError) as e:
        raise FeedError(f"{path}: not a readable VIP 5.x CSV file: {e}") from e


def _csv_place(row: dict) -> dict:
    return {
        "name": row.get("name") or None,
        "address": row.get("address_line") or None,
        "hours": row.get("hours") or None,
        "early": _true(row.get("is_early_voting")),
        "drop_box": _true(row.get("is_drop_box")),
        "latitude": _number(row.get("latitude")),
        "longitude": _number(row.get("longitude")),
    }


def _xml_place(element: ET.Element, hours: dict[str, str | None]) -> dict:
    lines = [t.text.strip() for t in element.findall("AddressLine") if t.text]
    structured = element.find("AddressStructured")
    if not lines and structured is not None:
        city_line = " ".join(structured.findtext(t, "") for t in ("State", "Zip")).strip()
        lines = [structured.findtext("Line1", ""), structured.findtext("City", ""), city_line]
    return {
        "name": element.findtext("Name"),
        "address": ", ".join(x for x in lines if x) or None,
        "hours": hours.get(element.findtext("HoursOpenId", "")),
        "early": _true(element.findtext("IsEarlyVoting")),
        "drop_box": _true(element.findtext("IsDropBox")),
        "latitude": _number(element.findtext("LatLng/Latitude")),
        "longitude": _number(element.findtext("LatLng/Longitude")),
    }


def _xml_hours(element: ET.Element) -> str | None:
    """Schedules as "2013-10-21 to 2013-10-26 07:00-19:00; …" (times as published)."""
    parts = []
    for schedule in element.findall("Schedule"):
        dates = " to ".join(
            d for d in (schedule.findtext("StartDate"), schedule.findtext("EndDate")) if d
        )
        times = ", ".join(
            f"{h.findtext('StartTime', '')[:5]}-{h.findtext('EndTime', '')[:5]}"
            for h in schedule.findall("Hours")
        )
        parts.append(" ".join(p for p in (dates, times) if p))
    return "; ".join(p for p in parts if p) or None


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
