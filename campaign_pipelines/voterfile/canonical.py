"""The canonical voter fields every voter file is mapped onto.

A ``vendor_csv`` voter file names, in the campaign config's ``voter_file.columns``, which of its
columns holds each of these fields. Only ``voter_id``, ``first_name`` and ``last_name`` are
required; the rest are used when present.
"""

from __future__ import annotations

CANONICAL_FIELDS: dict[str, str] = {
    "voter_id": "stable voter identifier (NC: ncid)",
    "first_name": "first name",
    "middle_name": "middle name",
    "last_name": "last name",
    "name_suffix": "suffix (JR, III)",
    "status": "registration status code (A active, I inactive, R removed, D denied, S temporary)",
    "address": "residential street address",
    "city": "residential city",
    "state": "residential state (two letters)",
    "zip_code": "residential ZIP code (5 or 9 digits, kept as text)",
    "phone": "phone number in any common format",
    "sms_opt_in": "SMS consent (Y/N, true/false, 1/0)",
    "registration_date": "registration date (MM/DD/YYYY or YYYY-MM-DD)",
    "party": "party code",
    "birth_year": "year of birth",
    "county_id": "NC county number 1-100 (NCSBE numbering)",
    "county_fips": "five-digit county GEOID (used when county_id is absent)",
    "county_name": "county name",
    "precinct_code": "precinct code within the county",
    "precinct_name": "precinct name",
    "congressional_district": "US House district number from the file",
    "state_senate_district": "state senate district number from the file",
    "state_house_district": "state house district number from the file",
    "latitude": "residence latitude (WGS84)",
    "longitude": "residence longitude (WGS84)",
}

REQUIRED_FIELDS = ("voter_id", "first_name", "last_name")

# Registration status preference when one voter id appears more than once (lower wins).
STATUS_RANK = {"A": 0, "S": 1, "I": 2, "D": 3, "R": 4}
