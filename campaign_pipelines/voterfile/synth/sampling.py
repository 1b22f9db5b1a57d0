"""Seeded sampling helpers shared by the synthetic voter-file modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Lookup tables: indexing them is far quicker than formatting a million integers.
TWO_DIGITS = np.array([f"{v:02d}" for v in range(100)], dtype=object)
NUMBERS = np.array([str(v) for v in range(10_000)], dtype=object)


def pick(shares: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` keys of ``shares``, each drawn as often as its share."""
    values = np.array(list(shares), dtype=object)
    weights = np.array(list(shares.values()), dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def draw(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` values of ``pool``, uniformly and with replacement."""
    return pool[rng.integers(0, len(pool), size=n)]


def exact_masks(
    n: int, rates: list[float], rng: np.random.Generator, *, minimum: int = 0
) -> list[np.ndarray]:
    """Disjoint row masks, each with exactly ``round(rate * n)`` rows (at least ``minimum``)."""
    counts = [max(round(rate * n), minimum) for rate in rates]
    if sum(counts) > n:
        counts = [round(rate * n) for rate in rates]
    order = rng.permutation(n)
    masks, start = [], 0
    for k in counts:
        mask = np.zeros(n, dtype=bool)
        mask[order[start : start + k]] = True
        masks.append(mask)
        start += k
    return masks


def unique_ints(n: int, space: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct integers in ``[0, space)``, in the order they were drawn."""
    values = np.empty(0, dtype=np.int64)
    while len(values) < n:
        values = pd.unique(np.concatenate([values, rng.integers(0, space, size=n + 16)]))
    return values[:n]
