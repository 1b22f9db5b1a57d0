"""Writing a synthetic file's columns as NCSBE does: tab-delimited, CRLF, minimal quoting.

The file is written beside its destination and moved into place, so a reader never sees half
a file.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from campaign_pipelines.voterfile.layout import NC_COLUMNS, NC_ENHANCED_COLUMNS

SYNTH_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp1252")

_WRITE_CHUNK_ROWS = 50_000


def write_columns(output: Path, columns: dict[str, np.ndarray], encoding: str) -> None:
    """Write ``columns`` under the full NC header; columns not given are left blank."""
    header = (*NC_COLUMNS, *NC_ENHANCED_COLUMNS)
    unknown = set(columns) - set(header)
    if unknown:
        raise ValueError(f"synthetic columns {sorted(unknown)} are not in the NC layout")
    n = len(next(iter(columns.values())))

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    with partial.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(header)
        # In slices: a million rows of Python strings at once would take gigabytes.
        for start in range(0, n, _WRITE_CHUNK_ROWS):
            stop = min(start + _WRITE_CHUNK_ROWS, n)
            blank = [""] * (stop - start)
            values = [columns[c][start:stop].tolist() if c in columns else blank for c in header]
            writer.writerows(zip(*values, strict=True))
    os.replace(partial, output)
