"""Turn voter-file records into canonical voter rows and quarantined rows with reasons.

Row accounting is exact: every record read ends up either accepted or quarantined (with the
field and reason), never both and never neither.

Duplicate voter ids keep one registration by a fixed rule: the best registration status
(active, then temporary, inactive, denied, removed), then the latest registration date, then the
later row in the file. The others are quarantined as ``duplicate_voter_id`` naming the row kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from campaign_pipelines.config import VoterFileConfig
from campaign_pipelines.voterfile.canonical import REQUIRED_FIELDS, STATUS_RANK
from campaign_pipelines.voterfile.layout import NC_TO_CANONICAL, nc_county_fips
from campaign_pipelines.voterfile.phones import normalise_phone
from campaign_pipelines.voterfile.read import FileFormat, Record, VoterFileError

VOTER_COLUMNS = (
    "voter_id", "source_row", "first_name", "middle_name", "last_name", "name_suffix", "status",
    "address", "city", "state", "zip_code", "phone_e164", "sms_opt_in", "registration_date",
    "party", "birth_year", "county_fips", "county_name", "precinct_code", "precinct_name",
    "precinct_key", "congressional_district", "state_senate_district", "state_house_district",
    "latitude", "longitude",
)  # fmt: skip

_YES = {"y", "yes", "true", "t", "1"}
_NO = {"n", "no", "false", "f", "0"}
_DISTRICT_FIELDS = ("congressional_district", "state_senate_district", "state_house_district")


@dataclass
class Normalised:
    voters: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    reasons: dict[str, int] = field(default_factory=dict)


def column_mapping(cfg: VoterFileConfig, header: tuple[str, ...], source: str) -> dict[str, str]:
    """File column -> canonical field, failing with the missing required columns named."""
    if cfg.format == "ncsbe":
        mapping = {col: NC_TO_CANONICAL[col] for col in header if col in NC_TO_CANONICAL}
    else:
        mapping = {their.strip().lower(): ours for ours, their in cfg.columns.items()}
        absent = sorted(col for col in mapping if col not in header)
        if absent:
            raise VoterFileError(f"{source}: columns named in the config are missing: {absent}")
    have = set(mapping.values())
    missing = [f for f in REQUIRED_FIELDS if f not in have]
    if missing:
        needed = [_file_column(cfg, f) for f in missing]
        raise VoterFileError(
            f"{source}: not a {cfg.format} voter file: required columns missing: {needed}"
        )
    return mapping


def _file_column(cfg: VoterFileConfig, canonical: str) -> str:
    if cfg.format == "vendor_csv":
        return cfg.columns.get(canonical, canonical)
    return next(k for k, v in NC_TO_CANONICAL.items() if v == canonical)


def normalise(
    records: Iterable[Record], fmt: FileFormat, cfg: VoterFileConfig, source: str
) -> Normalised:
    mapping = column_mapping(cfg, fmt.header, source)
    width = len(fmt.header)
    good: list[list[str]] = []
    rows: list[int] = []
    lines: list[int] = []
    bad: list[dict] = []
    for rec in records:
        if len(rec.fields) != width:
            bad.append(
                _quarantine_row(
                    rec.row, rec.line, None, "(row)", "malformed_row",
                    f"{len(rec.fields)} fields where the header has {width}",
                    dict(enumerate(rec.fields)),
                )
            )  # fmt: skip
            continue
        good.append(rec.fields)
        rows.append(rec.row)
        lines.append(rec.line)
    raw = pd.DataFrame(good, columns=list(fmt.header), dtype=object)
    raw["__row"] = np.asarray(rows, dtype=np.int64)
    raw["__line"] = np.asarray(lines, dtype=np.int64)
    frame, problems = _canonical(raw, mapping, cfg)
    quarantine = pd.DataFrame(bad + problems)
    accepted, dupes = _resolve_duplicates(frame, raw)
    quarantine = pd.concat([quarantine, pd.DataFrame(dupes)], ignore_index=True)
    if quarantine.empty:
        quarantine = pd.DataFrame(
            columns=["source_row", "source_line", "voter_id", "field", "reason", "detail", "raw"]
        )
    reasons = quarantine["reason"].value_counts().to_dict() if len(quarantine) else {}
    rows_read = len(good) + len(bad)
    assert rows_read == len(accepted) + len(quarantine), "row accounting broke"
    return Normalised(accepted, quarantine, rows_read, {k: int(v) for k, v in reasons.items()})


def _quarantine_row(row, line, voter_id, field_name, reason, detail, raw) -> dict:
    return {
        "source_row": int(row),
        "source_line": int(line),
        "voter_id": voter_id,
        "field": field_name,
        "reason": reason,
        "detail": detail,
        "raw": {str(k): v for k, v in raw.items()},
    }


def _clean(series: pd.Series) -> pd.Series:
    stripped = series.astype(object).where(series.notna(), "").map(str).str.strip()
    return stripped.where(stripped != "", None)


def _canonical(
    raw: pd.DataFrame, mapping: dict[str, str], cfg: VoterFileConfig
) -> tuple[pd.DataFrame, list[dict]]:
    """Map and clean columns; rows with unusable values are removed and returned as problems."""
    out = pd.DataFrame(index=raw.index)
    for column, canonical in mapping.items():
        out[canonical] = _clean(raw[column])
    for name in ("voter_id", "first_name", "middle_name", "last_name", "name_suffix", "status",
                 "address", "city", "state", "zip_code", "phone", "sms_opt_in",
                 "registration_date", "party", "birth_year", "county_id", "county_fips",
                 "county_name", "precinct_code", "precinct_name", "latitude", "longitude",
                 *_DISTRICT_FIELDS):  # fmt: skip
        if name not in out:
            out[name] = None

    failures: dict[int, tuple[str, str, str]] = {}

    def fail(mask: pd.Series, field_name: str, reason: str, detail) -> None:
        for idx in out.index[mask.fillna(False).to_numpy(dtype=bool)]:
            if idx not in failures:
                text = detail(idx) if callable(detail) else detail
                failures[idx] = (field_name, reason, text)

    for required in REQUIRED_FIELDS:
        fail(out[required].isna(), _file_column(cfg, required), f"missing_{required}",
             f"{_file_column(cfg, required)} is blank")  # fmt: skip

    phones = out["phone"].map(lambda v: normalise_phone(v, cfg.phone_region) if v else None)
    out["phone_e164"] = phones.map(lambda r: r.e164 if r else None)
    phone_problem = phones.map(lambda r: r.problem if r else None)
    fail(phone_problem.notna(), _file_column(cfg, "phone"), "invalid_phone",
         lambda i: phone_problem[i])  # fmt: skip

    lat = pd.to_numeric(out["latitude"], errors="coerce")
    lon = pd.to_numeric(out["longitude"], errors="coerce")
    unparsable = (out["latitude"].notna() & lat.isna()) | (out["longitude"].notna() & lon.isna())
    half = out["latitude"].isna() ^ out["longitude"].isna()
    off_globe = (lat.abs() > 90) | (lon.abs() > 180)
    fail(
        unparsable | half | off_globe,
        "latitude/longitude",
        "invalid_coordinates",
        "coordinates must be two numbers, latitude within ±90 and longitude within ±180",
    )
    out["latitude"], out["longitude"] = lat, lon

    out["zip_code"] = out["zip_code"].map(_zip5)
    bad_zip = out["zip_code"].map(lambda z: z is not None and not (len(z) == 5 and z.isdigit()))
    fail(bad_zip, _file_column(cfg, "zip_code"), "invalid_zip_code",
         "ZIP code must be 5 or 9 digits")  # fmt: skip

    dates = _parse_dates(out["registration_date"])
    fail(out["registration_date"].notna() & dates.isna(), _file_column(cfg, "registration_date"),
         "invalid_registration_date", "expected MM/DD/YYYY or YYYY-MM-DD")  # fmt: skip
    out["registration_date"] = dates

    consent = out["sms_opt_in"].map(_consent)
    fail(out["sms_opt_in"].notna() & consent.isna(), _file_column(cfg, "sms_opt_in"),
         "invalid_sms_opt_in", "expected Y/N, true/false or 1/0")  # fmt: skip
    out["sms_opt_in"] = consent

    fips = out["county_id"].map(lambda v: nc_county_fips(v) if v else None)
    out["county_fips"] = fips.where(fips.notna(), out["county_fips"])
    for name in _DISTRICT_FIELDS:
        out[name] = out[name].map(_district_code)
    out["precinct_key"] = [
        f"{f[2:]}-{p}" if f and p else None
        for f, p in zip(out["county_fips"], out["precinct_code"], strict=True)
    ]
    out["state"] = out["state"].str.upper()
    out["source_row"] = raw["__row"]

    problems = [
        _quarantine_row(
            raw.at[idx, "__row"], raw.at[idx, "__line"], out.at[idx, "voter_id"],
            field_name, reason, detail, raw.loc[idx].drop(["__row", "__line"]).to_dict(),
        )
        for idx, (field_name, reason, detail) in sorted(failures.items())
    ]  # fmt: skip
    keep = ~out.index.isin(list(failures))
    return out.loc[keep], problems


def _zip5(value: str | None) -> str | None:
    if value is None:
        return None
    digits = value.replace("-", "")
    return digits[:5] if len(digits) == 9 and digits.isdigit() else value


def _parse_dates(values: pd.Series) -> pd.Series:
    us = pd.to_datetime(values, format="%m/%d/%Y", errors="coerce")
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    return us.fillna(iso).dt.date.where(us.notna() | iso.notna(), None)


def _consent(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    return None


def _district_code(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.isdigit():
        return value
    return value.lstrip("0") or "0"


def _resolve_duplicates(frame: pd.DataFrame, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    rank = frame["status"].map(lambda s: STATUS_RANK.get((s or "").upper(), 9))
    ordered = frame.assign(
        __rank=rank,
        __date=pd.to_datetime(frame["registration_date"], errors="coerce"),
    ).sort_values(["voter_id", "__rank", "__date", "source_row"],
                  ascending=[True, True, False, False], na_position="last")  # fmt: skip
    dup = ordered.duplicated("voter_id", keep="first")
    winners = ordered.loc[~dup].drop_duplicates("voter_id").set_index("voter_id")["source_row"]
    dupes = [
        _quarantine_row(
            raw.at[idx, "__row"], raw.at[idx, "__line"], ordered.at[idx, "voter_id"],
            "voter_id", "duplicate_voter_id",
            f"superseded by row {winners[ordered.at[idx, 'voter_id']]} of the same voter",
            raw.loc[idx].drop(["__row", "__line"]).to_dict(),
        )
        for idx in ordered.index[dup.to_numpy()]
    ]  # fmt: skip
    accepted = ordered.loc[~dup].sort_values("source_row")
    return accepted.loc[:, list(VOTER_COLUMNS)].reset_index(drop=True), dupes
