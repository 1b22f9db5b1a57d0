"""Short codes: fixed length, base62, at least 48 bits, uniformly drawn."""

from collections import Counter

from campaign_pipelines.routing.codes import ALPHABET, BITS, CODE_LENGTH, is_minted_code, new_codes


def test_codes_are_fixed_length_base62_with_at_least_48_bits():
    codes = new_codes(20_000)
    assert BITS >= 48
    assert all(len(c) == CODE_LENGTH and is_minted_code(c) for c in codes)
    assert len(set(codes)) == len(codes)


def test_codes_use_every_symbol_evenly():
    counts = Counter("".join(new_codes(20_000)))
    assert set(counts) == set(ALPHABET)
    expected = 20_000 * CODE_LENGTH / len(ALPHABET)
    assert all(abs(n - expected) < expected * 0.1 for n in counts.values())
