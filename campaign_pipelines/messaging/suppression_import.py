"""Numbers from other tools that must not be texted: opt-out exports and line-type lookups.

Campaigns inherit opt-outs from the vendors that texted for them before (and from the party's
shared lists); honouring them is the law's and the carriers' expectation, not a courtesy. Each
file is a CSV with a phone column; numbers are normalised to E.164 like the voter file's, and a
row that holds no usable number is reported with its file and line, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from campaign_pipelines.voterfile.phones import normalise_phone


class SuppressionFileError(ValueError):
    """A suppression file that cannot be read at all (missing, or without its phone column)."""


@dataclass(frozen=True)
class Rejected:
    source: str
    line: int
    problem: str


@dataclass(frozen=True)
class ImportedNumbers:
    numbers: pd.DataFrame  # phone_e164, reason, source
    rejected: list[Rejected]
    rows_read: int


def read_suppression_file(
    path: Path, *, source: str, phone_column: str, reason: str, region: str = "US"
) -> ImportedNumbers:
    """Read one file; the header is line 1, so the first number is on line 2."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise SuppressionFileError(f"{path}: suppression file not found") from e
    if phone_column not in frame.columns:
        raise SuppressionFileError(
            f"{path}: no column {phone_column!r} (the configured phone_column); "
            f"columns are {list(frame.columns)}"
        )

    phones, rejected = [], []
    for line, raw in enumerate(frame[phone_column], start=2):
        result = normalise_phone(raw, region)
        if result.e164 is None:
            rejected.append(Rejected(source, line, result.problem or "empty"))
        else:
            phones.append(result.e164)
    numbers = pd.DataFrame({"phone_e164": phones, "reason": reason, "source": source})
    return ImportedNumbers(numbers.drop_duplicates("phone_e164"), rejected, len(frame))
