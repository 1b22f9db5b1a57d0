"""Each row's registration: its NCSBE status and reason, and the date the voter registered."""

from __future__ import annotations

import numpy as np

from campaign_pipelines.voterfile.synth.people import SNAPSHOT_DAY
from campaign_pipelines.voterfile.synth.row_plan import RowPlan
from campaign_pipelines.voterfile.synth.sampling import NUMBERS, TWO_DIGITS

_EARLIEST_REGISTRATION = np.datetime64("1972-01-01")

# (status_cd, voter_status_desc, reason_cd, voter_status_reason_desc, share) from the layout file.
_STATUSES = (
    ("A", "ACTIVE", "AV", "VERIFIED", 0.82),
    ("A", "ACTIVE", "AN", "UNVERIFIED NEW", 0.04),
    ("I", "INACTIVE", "IN", "CONFIRMATION NOT RETURNED", 0.06),
    ("I", "INACTIVE", "IU", "CONFIRMATION RETURNED UNDELIVERABLE", 0.03),
    ("R", "REMOVED", "RL", "MOVED FROM COUNTY", 0.015),
    ("R", "REMOVED", "RD", "DECEASED", 0.01),
    ("R", "REMOVED", "RS", "MOVED FROM STATE", 0.005),
    ("D", "DENIED", "DI", "UNAVAILABLE ESSENTIAL INFORMATION", 0.005),
    ("D", "DENIED", "DU", "VERIFICATION RETURNED UNDELIVERABLE", 0.005),
    ("S", "TEMPORARY", "SM", "MILITARY", 0.01),
)
# The older registration of a duplicated voter: left behind when they moved county.
_OLD_REGISTRATION_STATUSES = (
    ("I", "INACTIVE", "IN", "CONFIRMATION NOT RETURNED", 0.5),
    ("R", "REMOVED", "RL", "MOVED FROM COUNTY", 0.5),
)


def statuses(plan: RowPlan, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The four status columns; a duplicated voter's old row is inactive or removed."""
    table = np.array([s[:4] for s in _STATUSES], dtype=object)
    picked = table[rng.choice(len(table), size=plan.rows, p=[s[4] for s in _STATUSES])]
    old = np.array([s[:4] for s in _OLD_REGISTRATION_STATUSES], dtype=object)
    shares = [s[4] for s in _OLD_REGISTRATION_STATUSES]
    picked[plan.old_rows] = old[rng.choice(len(old), size=len(plan.old_rows), p=shares)]
    # Whoever left an old registration behind is active and verified in their new county.
    picked[plan.current_rows] = table[0]
    names = ("status_cd", "voter_status_desc", "reason_cd", "voter_status_reason_desc")
    return {name: picked[:, i] for i, name in enumerate(names)}


def registration_dates(
    birth_year: np.ndarray, plan: RowPlan, rng: np.random.Generator
) -> np.ndarray:
    """``MM/DD/YYYY`` between the 18th birthday year and the snapshot; old rows come first."""
    adult = (birth_year + 18 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    start = np.maximum(adult, _EARLIEST_REGISTRATION)
    span = (SNAPSHOT_DAY - start).astype(np.int64)
    offset = np.floor(rng.random(plan.rows) * (span + 1)).astype(np.int64)
    current, older = plan.current_rows, plan.old_rows
    offset[current] = np.maximum(offset[current], 1)
    offset[older] = np.floor(rng.random(len(older)) * offset[current]).astype(np.int64)
    day = start + offset

    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    return TWO_DIGITS[month] + "/" + TWO_DIGITS[day_of_month] + "/" + NUMBERS[year]
