"""The North Carolina State Board of Elections ``ncvoter`` layout (current since 2022-02-12).

The public file is tab-delimited with a header row. It has no coordinates; vendor-enhanced files
(and our synthetic ones) append ``latitude`` and ``longitude`` and, for texting programmes, an
``sms_opt_in`` flag.
"""

from __future__ import annotations

NC_COLUMNS: tuple[str, ...] = (
    "county_id", "county_desc", "voter_reg_num", "ncid", "last_name", "first_name",
    "middle_name", "name_suffix_lbl", "status_cd", "voter_status_desc", "reason_cd",
    "voter_status_reason_desc", "res_street_address", "res_city_desc", "state_cd", "zip_code",
    "mail_addr1", "mail_addr2", "mail_addr3", "mail_addr4", "mail_city", "mail_state",
    "mail_zipcode", "full_phone_number", "confidential_ind", "registr_dt", "race_code",
    "ethnic_code", "party_cd", "gender_code", "birth_year", "age_at_year_end", "birth_state",
    "drivers_lic", "precinct_abbrv", "precinct_desc", "municipality_abbrv", "municipality_desc",
    "ward_abbrv", "ward_desc", "cong_dist_abbrv", "super_court_abbrv", "judic_dist_abbrv",
    "nc_senate_abbrv", "nc_house_abbrv", "county_commiss_abbrv", "county_commiss_desc",
    "township_abbrv", "township_desc", "school_dist_abbrv", "school_dist_desc",
    "fire_dist_abbrv", "fire_dist_desc", "water_dist_abbrv", "water_dist_desc",
    "sewer_dist_abbrv", "sewer_dist_desc", "sanit_dist_abbrv", "sanit_dist_desc",
    "rescue_dist_abbrv", "rescue_dist_desc", "munic_dist_abbrv", "munic_dist_desc",
    "dist_1_abbrv", "dist_1_desc", "vtd_abbrv", "vtd_desc",
)  # fmt: skip

# Columns vendor-enhanced NC files add after the official ones.
NC_ENHANCED_COLUMNS: tuple[str, ...] = ("latitude", "longitude", "sms_opt_in")

# The NC layout's own column for each canonical voter field (see ``canonical.py``).
NC_TO_CANONICAL: dict[str, str] = {
    "ncid": "voter_id",
    "first_name": "first_name",
    "middle_name": "middle_name",
    "last_name": "last_name",
    "name_suffix_lbl": "name_suffix",
    "status_cd": "status",
    "res_street_address": "address",
    "res_city_desc": "city",
    "state_cd": "state",
    "zip_code": "zip_code",
    "full_phone_number": "phone",
    "registr_dt": "registration_date",
    "party_cd": "party",
    "birth_year": "birth_year",
    "county_id": "county_id",
    "county_desc": "county_name",
    "precinct_abbrv": "precinct_code",
    "precinct_desc": "precinct_name",
    "cong_dist_abbrv": "congressional_district",
    "nc_senate_abbrv": "state_senate_district",
    "nc_house_abbrv": "state_house_district",
    "latitude": "latitude",
    "longitude": "longitude",
    "sms_opt_in": "sms_opt_in",
}

NC_STATE_FIPS = "37"


def nc_county_fips(county_id: str) -> str | None:
    """Five-digit county GEOID for an NCSBE ``county_id`` (1-100, alphabetical).

    NC's county FIPS codes are the odd numbers in alphabetical order, so county ``n`` is ``2n-1``
    (Alamance 1 -> 37001, Yancey 100 -> 37199).
    """
    text = (county_id or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 100:
        return None
    return f"{NC_STATE_FIPS}{2 * int(text) - 1:03d}"
