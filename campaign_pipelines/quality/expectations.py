"""Our one doorway to Great Expectations (GX Core 1.x; its API changed wholesale at 1.0).

Callers pass a DataFrame and GX expectation objects; they get back plain outcomes with the
measured rate, the threshold and a few sample ids, ready to become asset check results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from itertools import count
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import great_expectations.expectations as gxe_module

__all__ = ["Outcome", "gxe", "run_expectation"]


# GX reports usage to its vendor unless told not to; campaign data never leaves the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


class _Expectations:
    """``great_expectations.expectations``, imported when a check first builds an expectation.

    GX takes seconds to import, and Dagster imports the code location in every step process and
    code server; most steps never run a check, so they should not pay for it.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(import_module("great_expectations.expectations"), name)


gxe = _Expectations()

_batch_names = count()


@dataclass(frozen=True)
class Outcome:
    success: bool
    checked: int
    unexpected: int
    threshold: float  # minimum share of rows that must meet the expectation
    samples: list[Any]

    @property
    def rate(self) -> float:
        """Share of checked rows that met the expectation (1.0 when nothing was checked)."""
        return 1.0 if self.checked == 0 else 1.0 - self.unexpected / self.checked

    def describe(self, what: str) -> str:
        return (
            f"{what}: {self.rate:.4%} of {self.checked:,} rows pass "
            f"(threshold {self.threshold:.2%}); {self.unexpected:,} fail"
        )


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would interleave with Dagster's logs and the demo's own progress output.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context, context.data_sources.add_pandas("campaign_frames")


def run_expectation(
    frame: pd.DataFrame, expectation: gxe_module.Expectation, *, id_column: str | None = None
) -> Outcome:
    """Validate ``frame`` against one expectation and summarise the result."""
    _, source = _context()
    asset = source.add_dataframe_asset(f"frame_{next(_batch_names)}")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result = batch.validate(expectation, result_format={"result_format": "SUMMARY"})
    details = result.result or {}
    checked = int(details.get("element_count", len(frame)) or 0)
    missing = int(details.get("missing_count", 0) or 0)
    unexpected = int(details.get("unexpected_count", 0) or 0)
    samples = _samples(frame, details, id_column)
    source.delete_asset(asset.name)
    mostly = getattr(expectation, "mostly", 1.0) or 1.0
    return Outcome(bool(result.success), checked - missing, unexpected, float(mostly), samples)


def _samples(frame: pd.DataFrame, details: dict, id_column: str | None) -> list[Any]:
    values = list(details.get("partial_unexpected_list") or [])[:5]
    if id_column is None or not values:
        return values
    index = details.get("partial_unexpected_index_list")
    if index:
        return [frame.loc[i, id_column] for i in index[:5] if i in frame.index]
    return values
