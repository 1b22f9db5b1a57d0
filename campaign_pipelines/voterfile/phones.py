"""Phone numbers to E.164 with Google's libphonenumber rules (the ``phonenumbers`` package).

Voter files write the same number many ways: ``(919) 555-0142``, ``919.555.0142``,
``+1 919 555 0142``, ``19195550142``. Each distinct spelling is parsed once (files repeat formats
and numbers a great deal), so normalising millions of rows stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# A normalised number as stored everywhere (voters, opt-outs, sends): "+", then 8 to 15 digits.
E164_PATTERN = r"^\+[1-9]\d{7,14}$"

_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "no digits a number could be read from",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


@dataclass(frozen=True)
class PhoneResult:
    e164: str | None
    problem: str | None  # why the value could not be used; never contains the number itself


@lru_cache(maxsize=1_000_000)
def normalise_phone(raw: str, region: str = "US") -> PhoneResult:
    text = raw.strip()
    if not text:
        return PhoneResult(None, None)
    digits = sum(ch.isdigit() for ch in text)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as e:
        return PhoneResult(
            None, f"not a phone number ({_PARSE_ERRORS.get(e.error_type, 'unparsable')})"
        )
    if not phonenumbers.is_possible_number(number):
        return PhoneResult(None, f"not a possible {region} number ({digits} digits)")
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(None, f"not a valid {region} number ({digits} digits)")
    home = phonenumbers.country_code_for_region(region)
    if number.country_code != home:
        # The campaign texts from a number in its own plan; a foreign number is not ours to text.
        return PhoneResult(
            None, f"a +{number.country_code} number, outside the {region} plan (+{home})"
        )
    return PhoneResult(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    )
