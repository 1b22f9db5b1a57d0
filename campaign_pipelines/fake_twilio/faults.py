"""Which recipients the fake refuses or fails to deliver to.

Listed numbers always get their fate. Fractions pick numbers by a seeded hash of the number, so a
number that is "unsubscribed" stays unsubscribed for the whole run (as a real STOP does), and the
same seed picks the same numbers in every process.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class Fate(enum.Enum):
    """What happens to a message for a given recipient."""

    DELIVERED = "delivered"
    UNSUBSCRIBED = "unsubscribed"  # refused at create with 21610
    INVALID = "invalid"  # refused at create with 21211
    UNDELIVERED = "undelivered"  # accepted, then undelivered with 30007


@dataclass(frozen=True)
class FaultRules:
    """Recipients to refuse or lose, by list or by seeded fraction (each fraction in [0, 1])."""

    unsubscribed: frozenset[str] = field(default_factory=frozenset)
    invalid: frozenset[str] = field(default_factory=frozenset)
    undelivered: frozenset[str] = field(default_factory=frozenset)
    unsubscribed_fraction: float = 0.0
    invalid_fraction: float = 0.0
    undelivered_fraction: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        fractions = (self.unsubscribed_fraction, self.invalid_fraction, self.undelivered_fraction)
        if any(not 0.0 <= fraction <= 1.0 for fraction in fractions) or sum(fractions) > 1.0:
            raise ValueError(f"fault fractions must be in [0, 1] and sum to at most 1: {fractions}")

    @classmethod
    def of(
        cls,
        *,
        unsubscribed: Iterable[str] = (),
        invalid: Iterable[str] = (),
        undelivered: Iterable[str] = (),
        unsubscribed_fraction: float = 0.0,
        invalid_fraction: float = 0.0,
        undelivered_fraction: float = 0.0,
        seed: int = 0,
    ) -> FaultRules:
        return cls(
            frozenset(unsubscribed),
            frozenset(invalid),
            frozenset(undelivered),
            unsubscribed_fraction,
            invalid_fraction,
            undelivered_fraction,
            seed,
        )

    def fate(self, to: str) -> Fate:
        """The fate of a message to ``to``; numbers Twilio would reject as malformed are INVALID."""
        if not is_valid_number(to) or to in self.invalid:
            return Fate.INVALID
        if to in self.unsubscribed:
            return Fate.UNSUBSCRIBED
        if to in self.undelivered:
            return Fate.UNDELIVERED

        draw = _uniform(self.seed, to)
        if draw < self.unsubscribed_fraction:
            return Fate.UNSUBSCRIBED
        if draw < self.unsubscribed_fraction + self.invalid_fraction:
            return Fate.INVALID
        if draw < self.unsubscribed_fraction + self.invalid_fraction + self.undelivered_fraction:
            return Fate.UNDELIVERED
        return Fate.DELIVERED


def is_valid_number(number: str) -> bool:
    """E.164, and for the North American plan (+1) exactly ten digits after the country code."""
    if not E164.match(number):
        return False
    return not number.startswith("+1") or len(number) == 12


def _uniform(seed: int, number: str) -> float:
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
