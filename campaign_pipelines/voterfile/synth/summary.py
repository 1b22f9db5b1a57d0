"""What a synthetic voter file holds, in counts only: no names, phones or addresses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from campaign_pipelines.voterfile.synth.messiness import Messiness
from campaign_pipelines.voterfile.synth.row_plan import RowPlan


@dataclass(frozen=True)
class SynthSummary:
    """What a synthetic file holds, in counts only (no names, phones or addresses).

    ``rows`` counts data records (the header excluded) and includes ``duplicate_rows``, the extra
    older registrations of an ncid that also has a newer row; ``voters`` is the distinct ncids.
    """

    path: Path
    encoding: str
    rows: int
    voters: int
    duplicate_rows: int
    rows_without_coordinates: int
    rows_without_phone: int
    invalid_phone_rows: int
    stale_district_rows: int
    precinct_polygon_rows: int
    quoted_rows: int
    embedded_newline_rows: int
    accented_name_rows: int


def summarise(
    output: Path,
    encoding: str,
    columns: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    plan: RowPlan,
    messy: Messiness,
    places: pd.DataFrame,
) -> SynthSummary:
    """Count what went into ``output`` from the arrays it was written from."""
    needs_quotes = people["nickname"][plan.person_of_row]
    needs_quotes[np.concatenate([messy.newline_rows, messy.tab_rows, messy.quote_rows])] = True
    return SynthSummary(
        path=output,
        encoding=encoding,
        rows=plan.rows,
        voters=plan.n_people,
        duplicate_rows=plan.rows - plan.n_people,
        rows_without_coordinates=int(messy.no_coordinates.sum()),
        rows_without_phone=int((columns["full_phone_number"] == "").sum()),
        invalid_phone_rows=int(people["invalid_phone"][plan.person_of_row].sum()),
        stale_district_rows=len(messy.stale_rows),
        precinct_polygon_rows=int(places["from_precinct_polygon"].sum()),
        quoted_rows=int(needs_quotes.sum()),
        embedded_newline_rows=len(messy.newline_rows),
        accented_name_rows=int(people["accented"][plan.person_of_row].sum()),
    )
