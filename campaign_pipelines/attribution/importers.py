"""Read the action files campaigns really get into one shape, keeping every row accounted for.

=================== ============================================================================
source              file
=================== ============================================================================
``actblue``         ActBlue contributions CSV export (Receipt ID, Date, Amount, Donor ..., the
                    two Reference Code columns); dates are the export's local time
``mobilize``        Mobilize attendance / sign-up export; the export's headers or the API's field
                    names (given_name, email_address, postal_code, created_date) both work
``ncvhis``          NC State Board of Elections voter history (``ncvhis``: one row per voter per
                    election, tab-delimited); ``acted_at`` is noon local time on election day, as
                    the file gives the election and not the hour
``voter_file``      a later voter-file snapshot compared with the loaded one: newly registered
                    (or re-registered after removal) and residential address changed
=================== ============================================================================

Each reader returns the actions (columns in ``ACTION_COLUMNS``) and quarantined rows with the
field and reason; ``rows_read == len(actions) + len(quarantine)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from campaign_pipelines.attribution.matching import normalise_zip

ACTION_COLUMNS = (
    "source_key", "source_row", "action_type", "acted_at", "amount", "voter_id_raw", "refcode",
    "refcode_2", "phone_raw", "first_name", "last_name", "zip_raw", "raw",
)  # fmt: skip

ACTBLUE_COLUMNS = {
    "receipt_id": ("receipt id", "lineitem id", "order number"),
    "date": ("date", "paid at", "created at"),
    "amount": ("amount",),
    "first_name": ("donor first name",),
    "last_name": ("donor last name",),
    "zip": ("donor zip",),
    "phone": ("donor phone",),
    "refcode": ("reference code", "refcode"),
    "refcode_2": ("reference code 2", "refcode2"),
}
MOBILIZE_COLUMNS = {
    "signup_id": ("id", "signup id", "attendance id", "attendance_id"),
    "created": ("signup date", "created_date", "created date", "date created", "timestamp"),
    "first_name": ("first name", "given_name", "given name"),
    "last_name": ("last name", "family_name", "family name"),
    "zip": ("zip", "zip code", "postal_code", "postal code"),
    "phone": ("phone", "phone_number", "phone number"),
    "status": ("status", "attendance status"),
    "refcode": ("refcode", "utm_content", "referrer code"),
}
NCVHIS_COLUMNS = {"ncid": ("ncid",), "election": ("election_lbl",)}
_REQUIRED = {
    "actblue": ("receipt_id", "date", "amount"),
    "mobilize": ("signup_id", "created"),
    "ncvhis": ("ncid", "election"),
}
_CANCELLED = {"cancelled", "canceled", "declined"}


class ActionFileError(ValueError):
    """A file that cannot be read as the export it claims to be; the message names the file."""


@dataclass
class Parsed:
    actions: pd.DataFrame
    quarantine: list[dict] = field(default_factory=list)
    rows_read: int = 0

    def __post_init__(self) -> None:
        assert self.rows_read == len(self.actions) + len(self.quarantine), "row accounting broke"


def read_table(path: Path, *, delimiter: str = ",") -> pd.DataFrame:
    """Every cell as text (ZIPs and ids keep their zeros), blanks as empty strings."""
    try:
        frame = pd.read_csv(
            path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ActionFileError(f"{path}: cannot be read as a delimited file: {e}") from e
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda column: column.str.strip())


def _columns(frame: pd.DataFrame, aliases: dict, source: str, path: Path) -> dict[str, str]:
    lowered = {c.lower(): c for c in frame.columns}
    found = {
        ours: next((lowered[a] for a in names if a in lowered), None)
        for ours, names in aliases.items()
    }
    missing = [aliases[ours][0] for ours in _REQUIRED[source] if found[ours] is None]
    if missing:
        raise ActionFileError(f"{path}: not a {source} export: required columns missing: {missing}")
    return {ours: theirs for ours, theirs in found.items() if theirs}


def _get(frame: pd.DataFrame, columns: dict[str, str], name: str) -> pd.Series:
    if name not in columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    values = frame[columns[name]]
    return values.where(values != "", None)


def _local_times(values: pd.Series, tz: str) -> pd.Series:
    """Parse timestamps; naive ones are in ``tz``; epoch seconds are UTC. NaT where unreadable."""
    epoch = values.str.fullmatch(r"\d{9,11}").fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if epoch.any():
        out[epoch] = pd.to_datetime(values[epoch].astype("int64"), unit="s", utc=True)
    for idx in values.index[~epoch & values.notna()]:
        stamp = pd.to_datetime(values[idx], errors="coerce")
        if pd.isna(stamp):
            continue
        if stamp.tzinfo is None:
            # 01:30 on the night clocks go back happens twice; the export cannot say which, so
            # the first (daylight) one is taken rather than losing the row.
            stamp = stamp.tz_localize(ZoneInfo(tz), ambiguous=True, nonexistent="shift_forward")
        out[idx] = stamp.tz_convert("UTC")
    return out


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(re.sub(r"[$,\s]", "", text or "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _quarantine(row: int, field_name: str, reason: str, detail: str, raw: dict) -> dict:
    return {"source_row": row, "field": field_name, "reason": reason, "detail": detail, "raw": raw}


def _flag(frame: pd.DataFrame, raw: list[dict], rules: list[tuple]) -> dict[int, dict]:
    """Quarantine each row under the first rule it breaks: (mask, field, reason, detail)."""
    bad: dict[int, dict] = {}
    for mask, field_name, reason, detail in rules:
        for idx in frame.index[mask.fillna(False).to_numpy(dtype=bool)]:
            if idx not in bad:
                row = int(frame.at[idx, "source_row"])
                bad[idx] = _quarantine(row, field_name, reason, detail, raw[idx])
    return bad


def _finish(frame: pd.DataFrame, bad: dict[int, dict], rows_read: int) -> Parsed:
    keep = ~frame.index.isin(list(bad))
    duplicated = frame.loc[keep, "source_key"].duplicated(keep="first")
    for idx in duplicated.index[duplicated.to_numpy()]:
        first = frame.loc[keep & (frame["source_key"] == frame.at[idx, "source_key"]), "source_row"]
        bad[idx] = _quarantine(
            int(frame.at[idx, "source_row"]), "source_key", "duplicate_row",
            f"same id as row {int(first.iloc[0])}", frame.at[idx, "raw"],
        )  # fmt: skip
    keep = ~frame.index.isin(list(bad))
    actions = frame.loc[keep, list(ACTION_COLUMNS)].reset_index(drop=True)
    return Parsed(actions, [bad[i] for i in sorted(bad)], rows_read)


def read_actblue(path: Path, *, tz: str) -> Parsed:
    """Donations from an ActBlue contributions export (refunds and zero amounts quarantined)."""
    table = read_table(path)
    cols = _columns(table, ACTBLUE_COLUMNS, "actblue", path)
    raw = table.to_dict("records")
    frame = pd.DataFrame(
        {
            "source_key": _get(table, cols, "receipt_id"),
            "source_row": range(1, len(table) + 1),
            "action_type": "donation",
            "acted_at": _local_times(_get(table, cols, "date"), tz),
            "amount": _get(table, cols, "amount").map(_amount),
            "voter_id_raw": None,
            "refcode": _get(table, cols, "refcode"),
            "refcode_2": _get(table, cols, "refcode_2"),
            "phone_raw": _get(table, cols, "phone"),
            "first_name": _get(table, cols, "first_name"),
            "last_name": _get(table, cols, "last_name"),
            "zip_raw": _get(table, cols, "zip"),
            "raw": raw,
        }
    )
    amount = frame["amount"]
    bad = _flag(frame, raw, [
        (frame["source_key"].isna(), cols["receipt_id"], "missing_id", "blank receipt id"),
        (frame["acted_at"].isna(), cols["date"], "invalid_date",
         "expected a date and time such as 2026-10-21 14:03:11"),
        (amount.isna(), cols["amount"], "invalid_amount", "expected an amount such as 25.00"),
        (amount.map(lambda a: a is not None and a <= 0), cols["amount"], "not_a_donation",
         "amount is a refund or zero"),
    ])  # fmt: skip
    return _finish(frame, bad, len(table))


def read_mobilize(path: Path, *, tz: str) -> Parsed:
    """Volunteer sign-ups from a Mobilize export (cancelled sign-ups quarantined)."""
    table = read_table(path)
    cols = _columns(table, MOBILIZE_COLUMNS, "mobilize", path)
    raw = table.to_dict("records")
    status = _get(table, cols, "status")
    frame = pd.DataFrame(
        {
            "source_key": _get(table, cols, "signup_id"),
            "source_row": range(1, len(table) + 1),
            "action_type": "volunteer_signup",
            "acted_at": _local_times(_get(table, cols, "created"), tz),
            "amount": None,
            "voter_id_raw": None,
            "refcode": _get(table, cols, "refcode"),
            "refcode_2": None,
            "phone_raw": _get(table, cols, "phone"),
            "first_name": _get(table, cols, "first_name"),
            "last_name": _get(table, cols, "last_name"),
            "zip_raw": _get(table, cols, "zip"),
            "raw": raw,
        }
    )
    cancelled = status.fillna("").str.lower().isin(_CANCELLED)
    bad = _flag(frame, raw, [
        (frame["source_key"].isna(), cols["signup_id"], "missing_id", "blank sign-up id"),
        (frame["acted_at"].isna(), cols["created"], "invalid_date",
         "expected a date and time or epoch seconds"),
        (cancelled, cols.get("status", "status"), "cancelled", "the sign-up was cancelled"),
    ])  # fmt: skip
    return _finish(frame, bad, len(table))


def read_ncvhis(path: Path, *, tz: str, since: datetime | None = None) -> Parsed:
    """Votes cast from an NC ``ncvhis`` file; elections before ``since`` are quarantined."""
    table = read_table(path, delimiter="\t")
    table.columns = [c.lower() for c in table.columns]
    cols = _columns(table, NCVHIS_COLUMNS, "ncvhis", path)
    ncid = _get(table, cols, "ncid")
    label = _get(table, cols, "election")
    day = pd.to_datetime(label, format="%m/%d/%Y", errors="coerce")
    noon = [
        pd.Timestamp(datetime.combine(d.date(), time(12), ZoneInfo(tz))).tz_convert("UTC")
        if not pd.isna(d) else pd.NaT
        for d in day
    ]  # fmt: skip
    keep = ["ncid", "election_lbl", "election_desc", "voting_method", "county_id"]
    raw = table[[c for c in keep if c in table.columns]].to_dict("records")
    frame = pd.DataFrame(
        {
            "source_key": ncid.str.upper() + ":" + label.fillna(""),
            "source_row": range(1, len(table) + 1),
            "action_type": "voted",
            "acted_at": pd.Series(noon, index=table.index, dtype="datetime64[ns, UTC]"),
            "amount": None,
            "voter_id_raw": ncid,
            "refcode": None,
            "refcode_2": None,
            "phone_raw": None,
            "first_name": None,
            "last_name": None,
            "zip_raw": None,
            "raw": raw,
        }
    )
    early = frame["acted_at"] < pd.Timestamp(since) if since else frame["acted_at"].isna() & False
    bad = _flag(frame, raw, [
        (ncid.isna(), "ncid", "missing_id", "blank ncid"),
        (frame["acted_at"].isna(), "election_lbl", "invalid_date",
         "expected the election date as MM/DD/YYYY"),
        (early, "election_lbl", "election_out_of_scope",
         f"the election is before {since:%Y-%m-%d}" if since else ""),
    ])  # fmt: skip
    return _finish(frame, bad, len(table))


_RE_REGISTERED_FROM = {"R", "D"}  # removed or denied, then active again: registered anew
_ACTIVE = {"A", "S"}


def registration_changes(
    earlier: pd.DataFrame, later: pd.DataFrame, *, snapshot_at: datetime, tz: str
) -> Parsed:
    """New registrations and address changes between two voter-file snapshots.

    Both frames carry voter_id, status, address, zip_code, registration_date (and, for
    ``later``, first_name, last_name, phone_e164). A ZIP written differently (``27601`` vs
    ``27601-1234``) or spacing in the street address is not a move.
    """
    before = earlier.set_index("voter_id")
    after = later.set_index("voter_id")
    stamp = pd.Timestamp(snapshot_at).tz_convert("UTC")
    new = ~after.index.isin(before.index)
    common = after.index[~new]
    old_status = before.loc[common, "status"].fillna("").str.upper()
    now_status = after.loc[common, "status"].fillna("").str.upper()
    rejoined = common[(old_status.isin(_RE_REGISTERED_FROM) & now_status.isin(_ACTIVE)).to_numpy()]
    moved = common[(_place(before.loc[common]) != _place(after.loc[common])).to_numpy()]

    registered = after.loc[after.index[new].append(rejoined)]
    rows = [
        _change_rows(registered, "registered", _registered_at(registered, stamp, tz), stamp),
        _change_rows(after.loc[moved], "address_updated", stamp, stamp),
    ]
    frame = pd.concat(rows, ignore_index=True)
    frame["source_row"] = range(1, len(frame) + 1)
    return Parsed(frame.loc[:, list(ACTION_COLUMNS)], [], len(frame))


def _place(frame: pd.DataFrame) -> pd.Series:
    street = frame["address"].fillna("").str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True)
    zips = frame["zip_code"].map(lambda z: normalise_zip(z) or (z or ""))
    return street.str.strip() + "|" + zips


def _registered_at(frame: pd.DataFrame, stamp: pd.Timestamp, tz: str) -> pd.Series:
    dates = pd.to_datetime(frame["registration_date"], errors="coerce")
    local = [
        pd.Timestamp(datetime.combine(d.date(), time(12), ZoneInfo(tz))).tz_convert("UTC")
        if not pd.isna(d) else stamp
        for d in dates
    ]  # fmt: skip
    return pd.Series(local, index=frame.index).clip(upper=stamp)


def _change_rows(frame: pd.DataFrame, kind: str, acted_at, stamp: pd.Timestamp) -> pd.DataFrame:
    ids = frame.index.to_series()
    return pd.DataFrame(
        {
            "source_key": ids + f":{kind}:{stamp:%Y%m%d}",
            "action_type": kind,
            "acted_at": acted_at,
            "amount": None,
            "voter_id_raw": ids,
            "refcode": None,
            "refcode_2": None,
            "phone_raw": frame.get("phone_e164"),
            "first_name": frame.get("first_name"),
            "last_name": frame.get("last_name"),
            "zip_raw": frame["zip_code"],
            "raw": [{"voter_id": v, "change": kind} for v in ids],
        }
    ).reset_index(drop=True)
