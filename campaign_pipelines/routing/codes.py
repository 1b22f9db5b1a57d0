"""Short codes: nine base62 characters (62⁹ ≈ 2^53.6) drawn from the operating system's CSPRNG.

Codes are unguessable rather than sequential, so nobody can walk the code space to find other
voters' links. At 53.6 bits, a wave of a million links among ten million existing ones collides
about once in a thousand waves; the database's unique constraint catches that and the colliding
links are simply minted again.
"""

from __future__ import annotations

import secrets

import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CODE_LENGTH = 9
CODE_SPACE = len(ALPHABET) ** CODE_LENGTH
BITS = CODE_LENGTH * np.log2(len(ALPHABET))
# Largest multiple of the code space below 2^64: draws at or above it are redrawn, so every code
# is exactly equally likely (no modulo bias).
_LIMIT = (2**64 // CODE_SPACE) * CODE_SPACE
_SYMBOLS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def new_codes(count: int) -> np.ndarray:
    """``count`` fresh codes as a NumPy array of ``str`` (independent, uniformly random)."""
    values = _uniform(count)
    digits = np.empty((count, CODE_LENGTH), dtype=np.uint8)
    for position in range(CODE_LENGTH - 1, -1, -1):
        values, remainder = np.divmod(values, np.uint64(len(ALPHABET)))
        digits[:, position] = _SYMBOLS[remainder]
    return digits.view(f"S{CODE_LENGTH}").ravel().astype(f"U{CODE_LENGTH}")


def is_minted_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in ALPHABET for c in code)


def _uniform(count: int) -> np.ndarray:
    out = np.empty(0, dtype=np.uint64)
    while len(out) < count:
        wanted = count - len(out) + 16
        draws = np.frombuffer(secrets.token_bytes(8 * wanted), dtype=np.uint64)
        out = np.concatenate([out, draws[draws < np.uint64(_LIMIT)]])
    return out[:count] % np.uint64(CODE_SPACE)
