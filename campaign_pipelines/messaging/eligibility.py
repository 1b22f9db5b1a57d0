"""Who in a wave's audience may be texted, and for everyone else the first reason they may not.

Reasons, checked in this order (a voter is counted under the first that applies):

=============  ===========================================================================
no_consent     the voter file records no SMS consent (``sms_opt_in`` not true)
no_phone       no usable phone number on file
invalid_phone  not a valid E.164 number
not_mobile     a number type that cannot receive texts (landline, toll-free, pager)
suppressed     on the suppression list or opted out (STOP, 21610, imported, landline)
shared_phone   another voter in the wave has the same number; one text per number per wave
holdout        in the campaign's holdout (applied after this module, see ``holdout``)
=============  ===========================================================================

In the US plan every valid number is "fixed line or mobile", so ``not_mobile`` there catches
toll-free and special numbers; landlines are known only from carrier errors (21614, 30006) and
imported line-type lookups, which reach this module through the suppression list.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

import pandas as pd
import phonenumbers

REASONS = (
    "no_consent",
    "no_phone",
    "invalid_phone",
    "not_mobile",
    "suppressed",
    "shared_phone",
    "holdout",
)
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=1_000_000)
def phone_problem(e164: str) -> str | None:
    """``invalid_phone``, ``not_mobile`` or None for a number that can receive texts."""
    if not e164.startswith("+"):
        return "invalid_phone"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "invalid_phone"
    if not phonenumbers.is_valid_number(number):
        return "invalid_phone"
    if phonenumbers.number_type(number) not in _TEXTABLE:
        return "not_mobile"
    return None


def exclusions(candidates: pd.DataFrame, suppressed: Collection[str]) -> pd.Series:
    """The first exclusion reason per voter (None for the eligible), aligned to ``candidates``
    (columns voter_id, phone_e164, sms_opt_in); holdout is left to the caller."""
    phone = candidates["phone_e164"].fillna("").astype(str).str.strip()
    consent = candidates["sms_opt_in"].eq(True)
    problem = phone.map(lambda p: phone_problem(p) if p else None)

    reason = pd.Series(None, index=candidates.index, dtype=object)
    reason = reason.mask(~consent, "no_consent")
    reason = reason.mask(reason.isna() & phone.eq(""), "no_phone")
    reason = reason.mask(reason.isna() & problem.notna(), problem)
    reason = reason.mask(reason.isna() & phone.isin(suppressed), "suppressed")

    still_open = pd.DataFrame({"voter_id": candidates["voter_id"], "phone": phone})[reason.isna()]
    repeated = still_open.sort_values("voter_id", kind="stable").duplicated("phone", keep="first")
    shared = pd.Series(False, index=candidates.index)
    shared[repeated[repeated].index] = True
    return reason.mask(shared, "shared_phone")
