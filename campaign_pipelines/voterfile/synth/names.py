"""Pools of upper-case names and streets to draw synthetic voters from, seeded Faker output."""

from __future__ import annotations

import numpy as np
from faker import Faker

_APOSTROPHE_SURNAMES = ("O'BRIEN", "O'CONNOR", "O'NEAL", "O'DELL", "D'AMATO", "D'ANGELO", "O'HARA")
_NICKNAMES = ("BUD", "SKIP", "SISSY", "DOC", "RED", "TINY", "BUBBA")


def name_pools(seed: int) -> dict[str, np.ndarray]:
    """Upper-case names and streets from Faker, seeded; accented names all encode as latin-1."""

    def sample(locale: str, method: str, calls: int, *, accented: bool = False) -> np.ndarray:
        fake = Faker(locale)
        fake.seed_instance(seed)
        names = dict.fromkeys(getattr(fake, method)().upper() for _ in range(calls))
        if accented:
            names = {name: None for name in names if not name.isascii() and _is_latin1(name)}
        return np.array(list(names), dtype=object)

    def accented(method: str, locales: tuple[str, ...]) -> np.ndarray:
        return np.concatenate([sample(locale, method, 800, accented=True) for locale in locales])

    return {
        "first_male": sample("en_US", "first_name_male", 1500),
        "first_female": sample("en_US", "first_name_female", 1500),
        "last": sample("en_US", "last_name", 3000),
        "streets": sample("en_US", "street_name", 1500),
        "accented_male": accented("first_name_male", ("es_MX", "fr_FR")),
        "accented_female": accented("first_name_female", ("es_MX", "fr_FR")),
        "accented_last": accented("last_name", ("es_MX", "de_DE")),
        "apostrophe_last": np.array(_APOSTROPHE_SURNAMES, dtype=object),
        "nicknames": np.array(_NICKNAMES, dtype=object),
    }


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
