"""How often each quirk of real voter files appears in a synthetic one, as a share of rows."""

from __future__ import annotations

RATES = {
    "duplicate": 0.01,
    "no_coordinates": 0.01,
    "stale_district": 0.015,
    "no_phone": 0.10,
    "invalid_phone": 0.005,
    "household_phone": 0.015,  # of voters with a phone: take another voter's number
    "address_newline": 0.0005,
    "address_tab": 0.0005,
    "address_quote": 0.0005,
    "nickname_quote": 0.001,
    "accented_last": 0.03,
    "accented_first": 0.03,
    "apostrophe_last": 0.005,
    "hyphenated_last": 0.01,
}
