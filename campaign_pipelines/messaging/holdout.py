"""The campaign's holdout: voters deliberately not texted, so turnout lift can be measured.

Each voter gets a seeded draw from (seed, campaign, voter). Within each stratum (congressional
district by default) the voters with the lowest draws are held out until the stratum's holdout
share matches the configured fraction, so every district is represented in both arms in the same
proportion. Arms are persisted: a voter seen before keeps their arm across waves and re-runs, and
voters who appear later (a new voter file) are drawn into the same per-stratum proportions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

HOLDOUT = "holdout"
TREATMENT = "treatment"
UNKNOWN_STRATUM = "unknown"


def seeded_draws(keys: Iterable[str], *, salt: str) -> np.ndarray:
    """A uniform draw in [0, 1) per key from BLAKE2b of ``salt`` and the key: any process, on any
    day, computes the same, so a re-run or an auditor with the seed gets the same arms."""
    prefix = f"{salt}\x1f".encode()
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(prefix + key.encode(), digest_size=8).digest(), "big")
            / 2**64
            for key in keys
        ),
        dtype=np.float64,
    )


def holdout_salt(seed: str, campaign_id: str) -> str:
    return f"holdout:{seed}:{campaign_id}"


def assign_arms(
    candidates: pd.DataFrame, existing: pd.DataFrame, *, fraction: float, salt: str
) -> pd.DataFrame:
    """Arms for the ``candidates`` (voter_id, stratum) who have none in ``existing``
    (voter_id, arm, stratum); returns voter_id, arm, stratum and draw for those new voters."""
    unseen = ~candidates["voter_id"].isin(existing["voter_id"])
    new = candidates.loc[unseen, ["voter_id", "stratum"]].reset_index(drop=True)
    new["stratum"] = new["stratum"].fillna(UNKNOWN_STRATUM).astype(str)
    new["draw"] = seeded_draws(new["voter_id"].astype(str), salt=salt)
    new = new.sort_values(["stratum", "draw"], kind="stable").reset_index(drop=True)

    before = existing.assign(stratum=existing["stratum"].fillna(UNKNOWN_STRATUM).astype(str))
    held = before[before["arm"] == HOLDOUT].groupby("stratum").size()
    seen = before.groupby("stratum").size()
    arriving = new.groupby("stratum").size()
    total = arriving.add(seen.reindex(arriving.index, fill_value=0))
    target = np.floor(total * fraction + 0.5).astype(int)
    needed = (target - held.reindex(arriving.index, fill_value=0)).clip(lower=0)
    needed = np.minimum(needed, arriving)

    rank = new.groupby("stratum").cumcount()
    quota = new["stratum"].map(needed).fillna(0).astype(int)
    new["arm"] = np.where(rank < quota, HOLDOUT, TREATMENT)
    return new[["voter_id", "arm", "stratum", "draw"]]
