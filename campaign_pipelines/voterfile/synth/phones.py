"""Fictional phone numbers for synthetic voters, one per voter as far as the fictional range allows.

Every number ends in 555-0100 to 555-0199, the exchange NANP reserves for fiction, so the only
room to spread voters out is the area code. Numbers are handed out in order: NC area codes first
(weighted as the state's populations are), then every other US geographic area code that
``phonenumbers`` accepts, as cell phones keep the area code of the state they were bought in.
That makes ``len(area_code_pool()) * 100`` distinct numbers (about 36,000); a larger file cycles
through them again, so each number is then shared by as few voters as possible.

On top of that, a small share of voters take the number of another voter, as a household
landline or a parent's cell does, and some have no phone or a truncated one (``RATES``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import phonenumbers

from campaign_pipelines.voterfile.synth.rates import RATES
from campaign_pipelines.voterfile.synth.sampling import TWO_DIGITS, exact_masks

_NC_AREA_CODES = {
    "919": 0.2, "984": 0.05, "704": 0.2, "980": 0.05, "336": 0.15, "743": 0.03, "910": 0.12,
    "252": 0.1, "828": 0.1,
}  # fmt: skip
_FORMATS = {
    "{a}55501{y}": 0.30,
    "{a}-555-01{y}": 0.20,
    "({a}) 555-01{y}": 0.15,
    "{a}.555.01{y}": 0.10,
    "+1 {a} 555 01{y}": 0.10,
    "1{a}55501{y}": 0.15,
}
# Each spelling as the text before the area code and the text between it and the last two digits.
_BEFORE = np.array([template.split("{a}")[0] for template in _FORMATS], dtype=object)
_BETWEEN = np.array(
    [template.split("{a}")[1].removesuffix("{y}") for template in _FORMATS], dtype=object
)


def _is_geographic_us(area_code: str) -> bool:
    number = phonenumbers.parse(f"+1{area_code}5550100", None)
    return (
        phonenumbers.is_valid_number_for_region(number, "US")
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    )


@lru_cache(maxsize=1)
def area_code_pool() -> tuple[tuple[str, ...], np.ndarray]:
    """The area codes numbers are drawn from, NC's first, and each one's weight within NC.

    Out-of-state codes weigh 0: they are used, in a random order, once NC's are full. Toll-free,
    premium, personal (5XX) and Canadian or Caribbean codes fail the check and are left out.
    """
    nc = [code for code in _NC_AREA_CODES if _is_geographic_us(code)]
    others = [
        code
        for code in (str(v) for v in range(200, 1000))
        if code not in _NC_AREA_CODES and _is_geographic_us(code)
    ]
    weights = np.array([_NC_AREA_CODES[code] for code in nc] + [0.0] * len(others))
    return (*nc, *others), weights / weights.sum()


def draw_phones(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A phone spelling per voter ("" for none) and a mask of the truncated ones."""
    codes, weights = area_code_pool()
    codes = np.array(codes, dtype=object)
    missing, invalid = exact_masks(n, [RATES["no_phone"], RATES["invalid_phone"]], rng)
    holders = np.flatnonzero(~missing & ~invalid)
    (joins,) = exact_masks(len(holders), [RATES["household_phone"]], rng)
    own = holders[~joins]

    slot = np.zeros(n, dtype=np.int64)
    slot[own] = np.resize(_slot_order(weights, rng), len(own))
    if own.size:
        slot[holders[joins]] = slot[rng.choice(own, size=int(joins.sum()))]
    slot[invalid] = 100 * rng.choice(len(codes), size=int(invalid.sum()), p=weights)

    area = codes[slot // 100]
    style = rng.choice(len(_FORMATS), size=n, p=list(_FORMATS.values()))
    phone = _BEFORE[style] + area + _BETWEEN[style] + TWO_DIGITS[slot % 100]
    phone[missing] = ""
    # Two digits short, as when a clerk's entry was cut off.
    phone[invalid] = area[invalid] + "-555-01"
    return phone, invalid


def _slot_order(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every number of the pool once (``100 * code + last two digits``), NC's first.

    NC numbers come in a weighted order without replacement (a key ``u ** (1 / weight)`` per
    number, largest first), so a small file's area codes follow the NC weights; the rest follow
    in a random order.
    """
    slots = np.arange(100 * len(weights))
    slot_weight = np.repeat(weights, 100)
    nc = slots[slot_weight > 0]
    keys = rng.random(nc.size) ** (1 / slot_weight[nc])
    others = slots[slot_weight == 0]
    return np.concatenate([nc[np.argsort(-keys, kind="stable")], rng.permutation(others)])
