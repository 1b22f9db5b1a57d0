"""Which voter took an action, and by which rule.

Rules are tried in order; the first that names exactly one voter wins and is recorded:

=========== ===================================================================================
rule        evidence
=========== ===================================================================================
voter_id    the file carries the voter-file id (voter history, voter-file snapshots)
link_code   a donation's refcode (or a sign-up's UTM tag) is one of our links' codes: the action
            came through that exact link, so it is the link's voter, whoever's card paid
phone       the phone, in E.164, belongs to exactly one voter
name_zip    first and last name (case, accents, punctuation and suffixes ignored) and the 5-digit
            ZIP name exactly one voter
unmatched   none of the above; the reason says what was tried and why it failed
=========== ===================================================================================

A known link code always sets the action's ``link_id``, even when the voter id matched first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from campaign_pipelines.voterfile.phones import normalise_phone

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
_ZIP = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")
_ZIP_EXCEL = re.compile(r"^(\d{3,5})(?:\.0+)?$")  # a ZIP read as a number lost its zeros


@lru_cache(maxsize=200_000)
def normalise_name(value: str | None) -> str | None:
    """``"O'Brien-Smith Jr."`` -> ``"obriensmith"``: letters only, no accents, no suffix."""
    if not value:
        return None
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z]+", ascii_text.lower().replace("'", ""))
    kept = [w for w in words if w not in _SUFFIXES]
    return "".join(kept) or None


@lru_cache(maxsize=200_000)
def normalise_zip(value: str | None) -> str | None:
    """Five digits from ``27601``, ``27601-1234``, ``276011234``, ``2760.0`` style values."""
    text = (value or "").strip()
    if match := _ZIP.match(text):
        return match.group(1)
    if match := _ZIP_EXCEL.match(text):
        return match.group(1).zfill(5)
    return None


def _phone(value: str | None) -> str | None:
    return normalise_phone(value).e164 if value and value.strip() else None


@dataclass(frozen=True)
class VoterDirectory:
    """The voters an action may be matched to, indexed for each rule."""

    voter_ids: frozenset[str]
    by_phone: pd.Series  # E.164 -> voter_id, only phones held by one voter
    phone_counts: pd.Series  # E.164 -> number of voters sharing it
    by_name_zip: pd.Series  # "first|last|zip" -> voter_id, only keys held by one voter
    name_zip_counts: pd.Series
    link_codes: pd.DataFrame  # indexed by code: link_id, voter_id

    @classmethod
    def build(cls, voters: pd.DataFrame, links: pd.DataFrame) -> VoterDirectory:
        """``voters``: voter_id, phone_e164, first_name, last_name, zip_code;
        ``links``: code, link_id, voter_id."""
        phones = voters["phone_e164"].dropna()
        phone_counts = voters.loc[phones.index].groupby("phone_e164")["voter_id"].count()
        single_phone = voters.loc[phones.index].drop_duplicates("phone_e164", keep=False)
        keys = _name_zip_keys(voters["first_name"], voters["last_name"], voters["zip_code"])
        keyed = pd.DataFrame({"key": keys, "voter_id": voters["voter_id"]}).dropna()
        single_key = keyed.drop_duplicates("key", keep=False)
        return cls(
            voter_ids=frozenset(voters["voter_id"]),
            by_phone=single_phone.set_index("phone_e164")["voter_id"],
            phone_counts=phone_counts,
            by_name_zip=single_key.set_index("key")["voter_id"],
            name_zip_counts=keyed.groupby("key")["voter_id"].count(),
            link_codes=links.set_index("code")[["link_id", "voter_id"]],
        )


def _name_zip_keys(first: pd.Series, last: pd.Series, zips: pd.Series) -> pd.Series:
    f = first.map(normalise_name, na_action="ignore")
    la = last.map(normalise_name, na_action="ignore")
    z = zips.map(normalise_zip, na_action="ignore")
    keys = f.str.cat([la, z], sep="|")
    return keys.where(f.notna() & la.notna() & z.notna())


def match_actions(actions: pd.DataFrame, directory: VoterDirectory) -> pd.DataFrame:
    """Add ``voter_id``, ``link_id``, ``refcode``, ``match_rule`` and ``unmatched_reason``.

    ``actions`` has the importers' columns: voter_id_raw, refcode, refcode_2, phone_raw,
    first_name, last_name, zip_raw (any may be missing or null).
    """
    frame = actions.copy()
    for column in ("voter_id_raw", "refcode", "refcode_2", "phone_raw", "first_name",
                   "last_name", "zip_raw"):  # fmt: skip
        if column not in frame:
            frame[column] = None
    n = len(frame)
    voter = pd.Series([None] * n, index=frame.index, dtype=object)
    rule = pd.Series(["unmatched"] * n, index=frame.index, dtype=object)
    tried: list[pd.Series] = []

    ids = frame["voter_id_raw"].map(lambda v: v.strip().upper() if isinstance(v, str) else None)
    known_id = ids.isin(directory.voter_ids)
    _assign(voter, rule, known_id, ids, "voter_id")
    tried.append(_reason(ids.notna() & ~known_id, "voter id not in the voter file"))

    link_id, link_voter, refcode = _links(frame, directory)
    frame["link_id"] = link_id
    frame["refcode"] = refcode
    _assign(voter, rule, link_voter.notna(), link_voter, "link_code")

    phones = frame["phone_raw"].map(_phone)
    phone_voter = phones.map(directory.by_phone)
    sharing = phones.map(directory.phone_counts).fillna(0).astype(int)
    _assign(voter, rule, phone_voter.notna(), phone_voter, "phone")
    tried.append(_reason(phones.notna() & (sharing == 0), "no voter has this phone"))
    tried.append(_counted(phones.notna() & (sharing > 1), sharing, "voters share this phone"))

    keys = _name_zip_keys(frame["first_name"], frame["last_name"], frame["zip_raw"])
    key_voter = keys.map(directory.by_name_zip)
    same = keys.map(directory.name_zip_counts).fillna(0).astype(int)
    _assign(voter, rule, key_voter.notna(), key_voter, "name_zip")
    tried.append(_reason(keys.notna() & (same == 0), "no voter with this name and ZIP"))
    tried.append(_counted(keys.notna() & (same > 1), same, "voters share this name and ZIP"))

    frame["voter_id"] = voter
    frame["match_rule"] = rule
    frame["unmatched_reason"] = _unmatched_reasons(rule, tried)
    return frame


def _assign(voter, rule, mask, values, name) -> None:
    free = mask & (rule == "unmatched")
    voter[free] = values[free]
    rule[free] = name


def _links(frame: pd.DataFrame, directory: VoterDirectory):
    codes = directory.link_codes
    link_id = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    link_voter = link_id.copy()
    refcode = frame["refcode"].where(frame["refcode"].notna(), frame["refcode_2"])
    for column in ("refcode", "refcode_2"):
        candidates = frame[column].map(lambda v: v.strip() if isinstance(v, str) else None)
        hit = candidates.isin(codes.index) & link_id.isna()
        link_id[hit] = candidates[hit].map(codes["link_id"])
        link_voter[hit] = candidates[hit].map(codes["voter_id"])
        refcode[hit] = candidates[hit]
    link_voter = link_voter.where(link_voter.notna(), None)
    return link_id, link_voter, refcode.where(refcode.notna(), None)


def _reason(mask: pd.Series, text: str) -> pd.Series:
    return pd.Series(np.where(mask, text, None), index=mask.index, dtype=object)


def _counted(mask: pd.Series, counts: pd.Series, text: str) -> pd.Series:
    return pd.Series(
        [f"{c} {text}" if m else None for m, c in zip(mask, counts, strict=True)],
        index=mask.index,
        dtype=object,
    )


def _unmatched_reasons(rule: pd.Series, tried: list[pd.Series]) -> pd.Series:
    parts = pd.concat(tried, axis=1)
    joined = pd.Series(
        ["; ".join(v for v in row if v) for row in parts.itertuples(index=False)],
        index=rule.index,
        dtype=object,
    )
    joined = joined.where(joined != "", "no voter id, known link code, phone, or name and ZIP")
    return joined.where(rule == "unmatched", None)
