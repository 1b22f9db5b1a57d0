"""Match the precincts voters live in to polling places, and count how each was matched.

Sources are tried in the campaign's order and the first that knows a precinct wins. Within a
source a precinct matches by county and precinct *code* where the feed has codes (VIP), else by
county and precinct *name* (the NCSBE list has names only; a synthetic or re-coded voter file
often keeps the names). A precinct no source knows is left to the route's explicit fallback.
"""

from __future__ import annotations

import pandas as pd

from campaign_pipelines.catalog.entries import county_key, name_key

PRECINCT_COLUMNS = [
    "county_fips",
    "county_name",
    "precinct_code",
    "precinct_name",
    "precinct_key",
    "voters",
]


def match_precincts(
    precincts: pd.DataFrame, entries: list[pd.DataFrame], kind: str
) -> pd.DataFrame:
    """``precincts`` (one row per voter precinct, ``PRECINCT_COLUMNS``) with the matching entry of
    ``kind`` from the first source that has one, and ``match`` = code | name | None."""
    keyed = precincts.assign(
        county=precincts["county_name"].map(county_key),
        code=precincts["precinct_code"].map(lambda v: str(v).strip() if pd.notna(v) else None),
        pname=precincts["precinct_name"].map(name_key),
    )
    matched = pd.DataFrame()
    remaining = keyed
    for source in entries:
        of_kind = source[source["kind"] == kind]
        for method, left, right in (
            ("code", "code", "precinct_code"),
            ("name", "pname", "precinct_name"),
        ):
            if remaining.empty:
                break
            hits = _join(remaining, of_kind, left, right).assign(match=method)
            matched = pd.concat([matched, hits], ignore_index=True)
            remaining = remaining[~remaining["precinct_key"].isin(hits["precinct_key"])]
    unmatched = remaining.assign(match=None)
    return pd.concat([matched, unmatched], ignore_index=True).drop(
        columns=["county", "code", "pname"]
    )


def _join(left: pd.DataFrame, entries: pd.DataFrame, left_on: str, right_on: str) -> pd.DataFrame:
    usable = entries.dropna(subset=[right_on]).drop_duplicates(["county_name", right_on])
    right = usable.drop(columns=["precinct_code", "precinct_name"]).assign(
        _county=usable["county_name"], _key=usable[right_on]
    )
    joined = left.dropna(subset=[left_on]).merge(
        right.drop(columns=["county_name"]),
        left_on=["county", left_on],
        right_on=["_county", "_key"],
    )
    return joined.drop(columns=["_county", "_key"])


def match_rates(matched: pd.DataFrame) -> pd.DataFrame:
    """Per county: precincts and voters, matched by code, by name, and left to the fallback."""
    frame = matched.assign(
        by_code=matched["match"].eq("code"),
        by_name=matched["match"].eq("name"),
        fallback=matched["match"].isna(),
    )
    frame["fallback_voters"] = frame["voters"].where(frame["fallback"], 0)
    summary = frame.groupby(["county_fips", "county_name"], dropna=False).agg(
        precincts=("precinct_key", "size"),
        voters=("voters", "sum"),
        by_code=("by_code", "sum"),
        by_name=("by_name", "sum"),
        fallback=("fallback", "sum"),
        fallback_voters=("fallback_voters", "sum"),
    )
    summary["match_rate"] = 1 - summary["fallback"] / summary["precincts"]
    return summary.reset_index().sort_values("county_fips", ignore_index=True)
