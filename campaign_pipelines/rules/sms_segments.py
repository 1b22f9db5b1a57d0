"""How many SMS segments a message body costs, counted the way carriers and Twilio count them.

A carrier bills, and Twilio rate-limits, per segment, so the count decides what a wave costs.
An SMS carries 140 octets: 160 GSM-7 septets, or 70 UTF-16 code units when any character is
outside the GSM 03.38 alphabet and the whole message falls back to UCS-2. A longer message is
split into parts that each lose room to the concatenation header: 153 septets or 67 code units.

Some runs of units are never split across parts, so a part may end short of its limit:

* a GSM extension character (``^ { } \\ [ ~ ] | €`` and form feed) is an escape septet plus a
  code, two septets that a handset must receive together;
* in UCS-2, a character outside the Basic Multilingual Plane (most emoji) is a surrogate pair,
  and Twilio keeps a whole grapheme cluster together (a flag is two such pairs, a thumbs-up with
  a skin tone two, a family emoji joined by zero-width joiners up to eleven units), as its
  published segment calculator does.

The GSM 03.38 tables come from the ``gsm0338`` codec and grapheme clusters from ``regex``'s
``\\X``. US carriers use neither the national language shift tables nor, unless a messaging
service turns it on, Twilio's Smart Encoding, so a curly apostrophe (’) really does turn the
whole message into UCS-2 and is counted that way here.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import gsm0338
import regex

Encoding = Literal["GSM-7", "UCS-2"]

GSM_SINGLE_LIMIT = 160
GSM_PART_LIMIT = 153
UCS2_SINGLE_LIMIT = 70
UCS2_PART_LIMIT = 67

_GSM_CODEC = gsm0338.Codec()
# The codec maps U+001B to the escape septet itself; in a message body it is not text a handset
# can show, so it makes the message unencodable in GSM-7 like any other foreign character.
_ESCAPE = "\x1b"
_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """A message's encoding, its length in that encoding's units, and the segments it is billed as.

    ``units`` are GSM-7 septets (an extension character counts two) or UTF-16 code units (an
    emoji outside the BMP counts two).
    """

    encoding: Encoding
    units: int
    segments: int


@lru_cache(maxsize=4096)
def _gsm_septets(char: str) -> int | None:
    """Septets one character takes in GSM-7 (1 basic, 2 extension), or None if it has none."""
    if char == _ESCAPE:
        return None
    try:
        encoded, _ = _GSM_CODEC.encode(char)
    except UnicodeEncodeError:
        return None
    return len(encoded)


def _utf16_units(grapheme: str) -> int:
    return len(grapheme.encode("utf-16-le", "surrogatepass")) // 2


def encoding_for(text: str) -> Encoding:
    """Return "GSM-7" if every character is in the GSM 03.38 alphabet, else "UCS-2"."""
    if all(_gsm_septets(char) is not None for char in text):
        return "GSM-7"
    return "UCS-2"


def _count_parts(costs: list[int], *, single_limit: int, part_limit: int) -> int:
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single_limit:
        return 1

    parts = 1
    used = 0
    for cost in costs:
        if used + cost > part_limit:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentCount:
    """Count the segments ``text`` is sent and billed as.

    An empty body is zero units and zero segments: there is nothing to send.
    """
    encoding = encoding_for(text)

    if encoding == "GSM-7":
        costs = [_gsm_septets(char) or 0 for char in text]
        single_limit, part_limit = GSM_SINGLE_LIMIT, GSM_PART_LIMIT
    else:
        costs = [_utf16_units(grapheme) for grapheme in _GRAPHEME.findall(text)]
        single_limit, part_limit = UCS2_SINGLE_LIMIT, UCS2_PART_LIMIT

    segments = _count_parts(costs, single_limit=single_limit, part_limit=part_limit)
    return SegmentCount(encoding=encoding, units=sum(costs), segments=segments)
