"""The rows of a wave's links: one per voter and route, with variant, UTM tags and a destination.

Codes are not chosen here: ``store.write_links`` keeps a voter's existing code and mints only the
missing ones. The message variant is drawn per voter from a hash of the wave and voter id, so it
is the same on every run and spread by the configured weights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from campaign_pipelines.config.waves import MessageVariant
from campaign_pipelines.routing.rules import Route
from campaign_pipelines.routing.urls import merge_utm, ordered_keys

LINK_COLUMNS = [
    "wave_id",
    "voter_id",
    "route",
    "channel",
    "variant",
    "placement",
    "destination_key",
    "destination_url",
    "utm",
    "timezone",
    "context",
]
SMS = "sms"


def assign_variants(wave_id: str, voter_ids: Sequence[str], variants: Sequence[MessageVariant]):
    """Each voter's message variant: a stable draw, weighted, from ``sha256(wave:voter)``."""
    names = np.array([v.name for v in variants], dtype=object)
    weights = np.array([v.weight for v in variants], dtype=float)
    bounds = np.cumsum(weights) / weights.sum()
    draws = np.fromiter(
        (
            int.from_bytes(hashlib.sha256(f"{wave_id}:{v}".encode()).digest()[:8], "big")
            for v in voter_ids
        ),
        dtype=np.uint64,
        count=len(voter_ids),
    ) / float(2**64)
    return names[np.searchsorted(bounds, draws, side="right").clip(max=len(names) - 1)]


def link_utm(
    route: Route,
    *,
    channel: str,
    campaign: str,
    variant: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """UTM tags of a link: source = channel, campaign = wave or placement, content = variant,
    then the route's own tags, then the placement's."""
    tags = {"utm_source": channel, "utm_campaign": campaign}
    if variant is not None:
        tags["utm_content"] = variant
    tags.update(route.utm)
    tags.update(extra or {})
    return {key: tags[key] for key in ordered_keys(tags)}


def wave_link_rows(
    audience: pd.DataFrame,
    *,
    wave_id: str,
    variants: Sequence[MessageVariant],
    routes: Mapping[str, Route],
    urls: Mapping[str, str],
) -> pd.DataFrame:
    """``LINK_COLUMNS`` for an audience of voter routes (``voter_id``, ``route``,
    ``destination_key``, ``timezone``, ``context``); ``urls`` maps destination keys to URLs."""
    voter_ids = audience["voter_id"].drop_duplicates().to_numpy()
    variant_of = pd.Series(assign_variants(wave_id, voter_ids, variants), index=voter_ids)
    frame = audience.assign(
        wave_id=wave_id,
        channel=SMS,
        placement=None,
        variant=variant_of.reindex(audience["voter_id"].to_numpy()).to_numpy(),
    )
    # Tags and URLs depend only on (route, variant, destination): decide each combination once.
    combos, inverse = _combinations(frame, ["route", "variant", "destination_key"])
    tags = [
        link_utm(routes[route], channel=SMS, campaign=wave_id, variant=variant)
        for route, variant, _ in combos
    ]
    utm = np.array([json.dumps(t) for t in tags], dtype=object)
    urls_merged = np.array(
        [
            merge_utm(urls[key], t) if key in urls else None
            for (_, _, key), t in zip(combos, tags, strict=True)
        ],
        dtype=object,
    )
    frame["utm"] = utm[inverse]
    frame["destination_url"] = urls_merged[inverse]
    return frame[LINK_COLUMNS]


def _combinations(frame: pd.DataFrame, columns: list[str]) -> tuple[list[tuple], np.ndarray]:
    """The distinct value tuples of ``columns`` and, per row, the index of its tuple."""
    codes, uniques = zip(*(pd.factorize(frame[c]) for c in columns), strict=True)
    combined = np.zeros(len(frame), dtype=np.int64)
    for code, values in zip(codes, uniques, strict=True):
        combined = combined * (len(values) + 1) + (code + 1)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    tuples = [tuple(frame[c].iat[i] for c in columns) for i in first]
    return tuples, inverse
