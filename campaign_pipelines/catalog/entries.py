"""The one shape every polling-place feed is read into: a row per precinct and kind of site."""

from __future__ import annotations

import re

import pandas as pd

POLLING_PLACE = "polling_place"
EARLY_VOTE_SITE = "early_vote_site"

ENTRY_COLUMNS = [
    "source",
    "kind",
    "county_name",
    "precinct_code",
    "precinct_name",
    "place_id",
    "name",
    "address",
    "hours",
    "latitude",
    "longitude",
]


class FeedError(ValueError):
    """A polling-place feed that cannot be read; the message names the file and what is wrong."""


def entries_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as an entries frame with every column, county and precinct names normalised."""
    frame = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
    frame["county_name"] = frame["county_name"].map(county_key)
    frame["precinct_name"] = frame["precinct_name"].map(name_key)
    frame["precinct_code"] = frame["precinct_code"].map(_text)
    return frame


def name_key(value: object) -> str | None:
    """Upper case with single spaces: how precinct names are compared across sources."""
    text = _text(value)
    return re.sub(r"\s+", " ", text.upper()) if text else None


def county_key(value: object) -> str | None:
    """County names compared without a trailing "COUNTY" ("ALBEMARLE COUNTY" = "ALBEMARLE")."""
    key = name_key(value)
    return re.sub(r" COUNTY$", "", key) if key else None


def join_address(*parts: object) -> str | None:
    """Non-blank parts joined with ", " (street, city, "ST ZIP")."""
    kept = [t for t in (_text(p) for p in parts) if t]
    return ", ".join(kept) or None


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None
