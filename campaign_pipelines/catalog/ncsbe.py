"""The NC State Board of Elections polling-place list: one election-day site per precinct.

NCSBE publishes it as UTF-16 (with a byte-order mark), tab-separated, CRLF lines, whatever the
``.csv`` name says. It names precincts but carries no precinct codes and no coordinates, so it
joins to voters by county and precinct name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from campaign_pipelines.catalog.entries import (
    POLLING_PLACE,
    FeedError,
    entries_frame,
    join_address,
)

COLUMNS = [
    "county_name",
    "polling_place_id",
    "polling_place_name",
    "precinct_name",
    "house_num",
    "street_name",
    "city",
    "state",
    "zip",
]


def read_ncsbe(path: Path) -> pd.DataFrame:
    """Entries (see ``catalog.entries``) of an NCSBE polling-place list."""
    try:
        raw = pd.read_csv(path, sep="\t", encoding="utf-16", dtype=str, keep_default_na=False)
    except (OSError, UnicodeError, pd.errors.ParserError) as e:
        raise FeedError(f"{path}: not a readable NCSBE polling-place list (UTF-16 TSV): {e}") from e
    missing = sorted(set(COLUMNS) - set(raw.columns))
    if missing:
        raise FeedError(f"{path}: NCSBE polling-place list lacks columns {missing}")
    source = f"ncsbe:{path.name}"
    rows = [
        {
            "source": source,
            "kind": POLLING_PLACE,
            "county_name": r.county_name,
            "precinct_code": None,
            "precinct_name": r.precinct_name,
            "place_id": f"{r.county_name.strip()}:{r.polling_place_id.strip()}",
            "name": r.polling_place_name.strip(),
            "address": join_address(
                f"{r.house_num.strip()} {r.street_name.strip()}", r.city, f"{r.state} {r.zip}"
            ),
            "hours": None,
            "latitude": None,
            "longitude": None,
        }
        for r in raw.itertuples(index=False)
    ]
    return entries_frame(rows)
