"""The mess real voter files carry, placed on exact, seed-determined rows.

Duplicate registrations are planned with the rows (``row_plan``) and missing or invalid phones
with each person (``people``); this module picks the rows without coordinates, with a stale
legislative district code, and with a newline, tab or double quote in the residence address.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from campaign_pipelines.voterfile.synth.geography import Geography
from campaign_pipelines.voterfile.synth.rates import RATES
from campaign_pipelines.voterfile.synth.sampling import exact_masks


@dataclass(frozen=True)
class Messiness:
    """Which rows carry each kind of mess real files have (exact counts for a row count)."""

    no_coordinates: np.ndarray  # mask
    stale_rows: np.ndarray
    newline_rows: np.ndarray
    tab_rows: np.ndarray
    quote_rows: np.ndarray

    @classmethod
    def draw(cls, n: int, rng: np.random.Generator) -> Messiness:
        (no_coordinates,) = exact_masks(n, [RATES["no_coordinates"]], rng)
        # Stale codes go on rows with coordinates, so a cross-check can see every one of them.
        geocoded = np.flatnonzero(~no_coordinates)
        stale_count = min(round(RATES["stale_district"] * n), len(geocoded))
        stale = np.sort(rng.choice(geocoded, size=stale_count, replace=False))
        rates = [RATES["address_newline"], RATES["address_tab"], RATES["address_quote"]]
        newline, tab, quote = (np.flatnonzero(m) for m in exact_masks(n, rates, rng, minimum=1))
        return cls(no_coordinates, stale, newline, tab, quote)

    def residences(
        self, address: np.ndarray, number: np.ndarray, street: np.ndarray, unit: np.ndarray
    ) -> np.ndarray:
        """``address`` with a newline, a tab or a double quote on this mess's rows."""
        residence = address.copy()
        rows = self.newline_rows
        residence[rows] = number[rows] + " " + street[rows] + "\nAPT " + unit[rows]
        rows = self.tab_rows
        residence[rows] = number[rows] + " " + street[rows] + "\tUNIT " + unit[rows]
        rows = self.quote_rows
        residence[rows] = number[rows] + ' "REAR" ' + street[rows]
        return residence


def make_stale(
    geography: Geography,
    districts: dict[str, np.ndarray],
    rows: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Give ``rows`` a wrong code in one legislative layer, as files carry after redistricting."""
    names = list(districts)
    layer_of_row = rng.integers(0, len(names), size=len(rows))
    for i, column in enumerate(names):
        chosen = rows[layer_of_row == i]
        codes = np.array(sorted(set(geography.districts[column]["code"])), dtype=object)
        current = np.searchsorted(codes, districts[column][chosen].astype(str))
        shift = rng.integers(1, len(codes), size=len(chosen))
        districts[column][chosen] = codes[(current + shift) % len(codes)]
