"""Each voter's destination per route, and the ZIP -> district lookup for shared links.

Voters who share the attributes a route reads (say, the same precinct and congressional district)
get the same destination, so each distinct combination is decided once with ``rules.choose`` and
the answer spread back to its voters: a million voters come down to a few thousand decisions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pandas as pd

from campaign_pipelines.routing.rules import CATALOG_ATTRIBUTE, REGION_ATTRIBUTE, Route, choose

VOTER_ATTRIBUTES = ("state", REGION_ATTRIBUTE, CATALOG_ATTRIBUTE)  # read from the voters table
ZIP_ATTRIBUTES_EXCLUDED = {CATALOG_ATTRIBUTE}  # a ZIP spans many precincts
ROUTE_COLUMNS = [
    "voter_id",
    "route",
    "destination_key",
    "rule",
    "is_fallback",
    "fallback_reason",
    "timezone",
    "context",
]


def unknown_selectors(routes: Iterable[Route], layers: Iterable[str]) -> list[str]:
    """Attributes rules read that are neither a district layer nor a voter attribute."""
    known = set(layers) | set(VOTER_ATTRIBUTES)
    return sorted({a for route in routes for a in route.attributes()} - known)


def voter_contexts(
    voters: pd.DataFrame, assignments: pd.DataFrame, attributes: Iterable[str]
) -> pd.DataFrame:
    """One row per voter (``voter_id``, ``zip_code``, ``timezone``) and a text column per
    attribute: voter attributes from ``voters``, district layers from ``assignments``."""
    wanted = list(dict.fromkeys(attributes))
    layers = [a for a in wanted if a not in VOTER_ATTRIBUTES]
    frame = voters[["voter_id", "zip_code", "timezone"]].copy()
    for attribute in wanted:
        if attribute in VOTER_ATTRIBUTES:
            frame[attribute] = voters[attribute]
    if layers:
        chosen = assignments[assignments["layer"].isin(layers)]
        wide = chosen.pivot(index="voter_id", columns="layer", values="district_id")
        frame = frame.merge(wide.reindex(columns=layers), how="left", on="voter_id")
    return frame.astype(object).where(frame.notna(), None)


def route_voters(
    contexts: pd.DataFrame, routes: Iterable[Route], known: Callable[[str], bool]
) -> pd.DataFrame:
    """``ROUTE_COLUMNS`` for every voter and route: the first rule without a time window that
    knows the voter (for SMS), else the route's fallback with its reason."""
    parts = []
    for route in routes:
        attributes = route.attributes()
        combos = contexts[attributes].drop_duplicates() if attributes else pd.DataFrame(index=[0])
        decided = [
            _decide(route, dict(zip(attributes, values, strict=True)), known)
            for values in combos.itertuples(index=False, name=None)
        ]
        table = pd.concat([combos.reset_index(drop=True), pd.DataFrame(decided)], axis=1)
        merged = (
            contexts[["voter_id", "timezone", *attributes]].merge(
                table, how="left", on=attributes or None
            )
            if attributes
            else contexts[["voter_id", "timezone"]].merge(table, how="cross")
        )
        parts.append(merged.assign(route=route.route)[ROUTE_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROUTE_COLUMNS)


def _decide(route: Route, context: dict, known: Callable[[str], bool]) -> dict:
    choice = choose(route, context, channel="sms", known=known)
    present = {k: v for k, v in context.items() if v is not None}
    return {
        "destination_key": choice.destination_key,
        "rule": choice.rule,
        "is_fallback": choice.is_fallback,
        "fallback_reason": choice.reason if choice.is_fallback else None,
        "context": json.dumps(present, sort_keys=True),
    }


def zip_lookup(contexts: pd.DataFrame, attributes: Iterable[str]) -> pd.DataFrame:
    """ZIP -> the most common value of each attribute among the ZIP's voters (ties: the smaller
    value), with how many voters hold it and their share of the ZIP's voters."""
    wanted = [
        a for a in dict.fromkeys([*attributes, "timezone"]) if a not in ZIP_ATTRIBUTES_EXCLUDED
    ]
    with_zip = contexts[contexts["zip_code"].notna()]
    long = with_zip.melt(id_vars="zip_code", value_vars=wanted, var_name="attribute")
    long = long[long["value"].notna()]
    counts = long.groupby(["zip_code", "attribute", "value"]).size().rename("voters").reset_index()
    totals = with_zip.groupby("zip_code").size().rename("total")
    best = counts.sort_values(
        ["zip_code", "attribute", "voters", "value"], ascending=[True, True, False, True]
    )
    best = best.drop_duplicates(["zip_code", "attribute"]).join(totals, on="zip_code")
    best["share"] = best["voters"] / best["total"]
    return best.drop(columns="total").reset_index(drop=True)
