"""Which person each row of a synthetic file is, and in which county, duplicates included."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaign_pipelines.voterfile.synth.geography import Geography
from campaign_pipelines.voterfile.synth.rates import RATES


@dataclass(frozen=True)
class RowPlan:
    """Who each row is and where: rows come county by county, like NCSBE's statewide file.

    ``person_of_row`` maps a row to its person; ``home`` is the row's county (a position in
    ``Geography.counties``). ``old_rows[i]`` is an older registration whose voter's current
    row is ``current_rows[i]``.
    """

    person_of_row: np.ndarray
    home: np.ndarray
    n_people: int
    old_rows: np.ndarray
    current_rows: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.person_of_row)


def plan_rows(geography: Geography, count: int, rng: np.random.Generator) -> RowPlan:
    """``count`` rows weighted by county, about 1 % of them a voter's older registration."""
    n_duplicates = round(RATES["duplicate"] * count)
    n_people = count - n_duplicates
    weights = geography.counties["weight"].to_numpy(dtype=float)
    weights /= weights.sum()
    home = rng.choice(len(weights), size=n_people, p=weights)

    moved = rng.choice(n_people, size=n_duplicates, replace=False)
    old_home = rng.choice(len(weights), size=n_duplicates, p=weights)
    for _ in range(100):
        same = old_home == home[moved]
        if not same.any():
            break
        old_home[same] = rng.choice(len(weights), size=int(same.sum()), p=weights)

    home = np.concatenate([home, old_home])
    order = np.argsort(home, kind="stable")
    row_of = np.empty(count, dtype=np.int64)
    row_of[order] = np.arange(count)
    return RowPlan(
        person_of_row=np.concatenate([np.arange(n_people), moved])[order],
        home=home[order],
        n_people=n_people,
        old_rows=row_of[n_people:],
        current_rows=row_of[moved],
    )
