"""Who each synthetic voter is: names, demographics, party, NCID and a fictional phone.

Phone numbers are all fictional (555-0100 to 555-0199); ``phones`` says how they are spread.
"""

from __future__ import annotations

import numpy as np

from campaign_pipelines.voterfile.synth.phones import draw_phones
from campaign_pipelines.voterfile.synth.rates import RATES
from campaign_pipelines.voterfile.synth.sampling import (
    draw,
    exact_masks,
    pick,
    unique_ints,
)

# The day the synthetic file was notionally exported; ages and registrations end there.
SNAPSHOT_DAY = np.datetime64("2025-10-31")
SNAPSHOT_YEAR = 2025

_PARTIES = {"UNA": 0.37, "DEM": 0.31, "REP": 0.30, "LIB": 0.01, "GRE": 0.005, "NLB": 0.005}
_RACES = {"W": 0.62, "B": 0.21, "U": 0.07, "O": 0.04, "A": 0.03, "M": 0.02, "I": 0.01}
_ETHNICITIES = {"NL": 0.78, "UN": 0.16, "HL": 0.06}
_GENDERS = {"F": 0.52, "M": 0.46, "U": 0.02}
_BIRTH_STATES = {
    "NC": 0.55, "": 0.09, "VA": 0.04, "NY": 0.04, "SC": 0.03, "FL": 0.03, "PA": 0.03,
    "OH": 0.02, "NJ": 0.02, "GA": 0.02, "CA": 0.02, "MD": 0.02, "TN": 0.02, "MI": 0.02,
    "IL": 0.02, "TX": 0.02, "OC": 0.01,
}  # fmt: skip
_SUFFIXES = {"": 0.95, "JR": 0.03, "SR": 0.01, "II": 0.005, "III": 0.005}
_SMS_OPT_IN = {"Y": 0.85, "N": 0.10, "": 0.05}


def draw_people(
    n: int, pools: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``n`` distinct voters, one array per attribute (``ncid``, ``first``, ``party``, …)."""
    gender = pick(_GENDERS, n, rng)
    female = gender == "F"

    def first_names(accented: bool = False) -> np.ndarray:
        kind = "accented_" if accented else "first_"
        male = draw(pools[f"{kind}male"], n, rng)
        return np.where(female, draw(pools[f"{kind}female"], n, rng), male)

    first, middle, last = first_names(), first_names(), draw(pools["last"], n, rng)
    accented_first = rng.random(n) < RATES["accented_first"]
    first[accented_first] = first_names(accented=True)[accented_first]
    accented_last = rng.random(n) < RATES["accented_last"]
    last[accented_last] = draw(pools["accented_last"], n, rng)[accented_last]
    apostrophe = ~accented_last & (rng.random(n) < RATES["apostrophe_last"])
    last[apostrophe] = draw(pools["apostrophe_last"], n, rng)[apostrophe]
    hyphenated = ~accented_last & ~apostrophe & (rng.random(n) < RATES["hyphenated_last"])
    last[hyphenated] = last[hyphenated] + "-" + draw(pools["last"], n, rng)[hyphenated]

    middle[rng.random(n) < 0.15] = ""
    initial = rng.random(n) < 0.10
    middle[initial] = [name[:1] for name in middle[initial]]
    nickname = exact_masks(n, [RATES["nickname_quote"]], rng)[0]
    first[nickname] = first[nickname] + ' "' + draw(pools["nicknames"], n, rng)[nickname] + '"'

    age = 18 + np.floor(rng.beta(1.6, 2.4, size=n) * 80).astype(np.int64)
    phone, invalid_phone = draw_phones(n, rng)
    return {
        "first": first,
        "middle": middle,
        "last": last,
        "suffix": pick(_SUFFIXES, n, rng),
        "gender": gender,
        "race": pick(_RACES, n, rng),
        "ethnicity": pick(_ETHNICITIES, n, rng),
        "party": pick(_PARTIES, n, rng),
        "birth_year": SNAPSHOT_YEAR - age,
        "birth_state": pick(_BIRTH_STATES, n, rng),
        "drivers_lic": pick({"Y": 0.9, "N": 0.1}, n, rng),
        "phone": phone,
        "invalid_phone": invalid_phone,
        "sms_opt_in": pick(_SMS_OPT_IN, n, rng),
        "ncid": _ncids(n, rng),
        "nickname": nickname,
        "accented": accented_first | accented_last,
    }


def _ncids(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unique NCIDs shaped like NCSBE's: two letters and six digits ("BN123456")."""
    values = unique_ints(n, 26 * 26 * 10**6, rng)
    letters = np.array([chr(65 + i) for i in range(26)], dtype=object)
    prefix = letters[values // 26_000_000] + letters[(values // 10**6) % 26]
    return prefix + np.array([f"{v:06d}" for v in (values % 10**6).tolist()], dtype=object)
