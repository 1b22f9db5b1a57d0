"""Every column of a synthetic file, row by row in file order (county by county).

Joins the people to their rows and places, and adds what belongs to a registration rather than
a person: towns and ZIPs, street and mailing addresses, statuses, dates and coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from campaign_pipelines.voterfile.synth.geography import MICRO, Geography
from campaign_pipelines.voterfile.synth.messiness import Messiness, make_stale
from campaign_pipelines.voterfile.synth.people import SNAPSHOT_YEAR
from campaign_pipelines.voterfile.synth.registration import registration_dates, statuses
from campaign_pipelines.voterfile.synth.row_plan import RowPlan
from campaign_pipelines.voterfile.synth.sampling import NUMBERS, draw, pick, unique_ints


def assemble_columns(
    geography: Geography,
    pools: dict[str, np.ndarray],
    places: pd.DataFrame,
    people: dict[str, np.ndarray],
    plan: RowPlan,
    messy: Messiness,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Every column of the file, in file order of rows (county by county)."""
    n = plan.rows
    counties = geography.counties
    position = places["county_position"].to_numpy()
    county_desc = counties["county_desc"].to_numpy()[position]
    person = {key: values[plan.person_of_row] for key, values in people.items()}
    city, zip_code = _towns(geography.towns, county_desc, rng)
    address, res_address = _addresses(n, pools, messy, rng)
    districts = {
        column: places[column].to_numpy(dtype=object, copy=True) for column in geography.districts
    }
    make_stale(geography, districts, messy.stale_rows, rng)
    latitude = _coordinates(places["lat_micro"].to_numpy(), messy.no_coordinates)
    longitude = _coordinates(places["lon_micro"].to_numpy(), messy.no_coordinates)
    municipal = rng.random(n) < 0.6
    precinct = places["precinct_abbrv"].to_numpy(dtype=object)

    columns = {
        "county_id": NUMBERS[counties["county_id"].to_numpy()[position]],
        "county_desc": county_desc,
        "voter_reg_num": np.array([f"{v:012d}" for v in unique_ints(n, 10**9, rng).tolist()]),
        "ncid": person["ncid"],
        "last_name": person["last"],
        "first_name": person["first"],
        "middle_name": person["middle"],
        "name_suffix_lbl": person["suffix"],
        **statuses(plan, rng),
        "res_street_address": res_address,
        "res_city_desc": city,
        "state_cd": np.full(n, "NC", dtype=object),
        "zip_code": zip_code,
        **_mailing(address, city, zip_code, rng),
        "full_phone_number": person["phone"],
        "confidential_ind": np.full(n, "N", dtype=object),
        "registr_dt": registration_dates(person["birth_year"], plan, rng),
        "race_code": person["race"],
        "ethnic_code": person["ethnicity"],
        "party_cd": person["party"],
        "gender_code": person["gender"],
        "birth_year": NUMBERS[person["birth_year"]],
        "age_at_year_end": NUMBERS[SNAPSHOT_YEAR - person["birth_year"]],
        "birth_state": person["birth_state"],
        "drivers_lic": person["drivers_lic"],
        "precinct_abbrv": precinct,
        "precinct_desc": places["precinct_desc"].to_numpy(dtype=object),
        "municipality_abbrv": np.where(municipal, [c.replace(" ", "")[:3] for c in city], ""),
        "municipality_desc": np.where(municipal, city, ""),
        **districts,
        "vtd_abbrv": precinct,
        "vtd_desc": precinct,
        "latitude": latitude,
        "longitude": longitude,
        "sms_opt_in": person["sms_opt_in"],
    }
    return columns


def _towns(
    towns: pd.DataFrame, county_desc: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A town and ZIP of the row's county, as often as the county's polling places sit there."""
    keys = towns["county_desc"].to_numpy(dtype=str)
    wanted = county_desc.astype(str)
    start = np.searchsorted(keys, wanted, side="left")
    stop = np.searchsorted(keys, wanted, side="right")
    pick_row = start + np.floor(rng.random(len(wanted)) * (stop - start)).astype(np.int64)
    city, zip_code = towns["city"].to_numpy(dtype=object), towns["zip"].to_numpy(dtype=object)
    return city[pick_row], zip_code[pick_row]


def _addresses(
    n: int, pools: dict[str, np.ndarray], messy: Messiness, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The clean street address (reused for mail) and the residence one with its quirks."""
    number = NUMBERS[rng.integers(100, 9999, size=n)]
    street = draw(pools["streets"], n, rng)
    unit = NUMBERS[rng.integers(1, 40, size=n)]
    address = number + " " + street
    apartment = rng.random(n) < 0.08
    address[apartment] = address[apartment] + " APT " + unit[apartment]
    return address, messy.residences(address, number, street, unit)


def _mailing(
    address: np.ndarray, city: np.ndarray, zip_code: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = len(address)
    kind = pick({"same": 0.85, "po_box": 0.08, "none": 0.07}, n, rng)
    po_box = "PO BOX " + NUMBERS[rng.integers(1, 9999, size=n)]
    has_mail = kind != "none"
    blank = np.full(n, "", dtype=object)
    return {
        "mail_addr1": np.where(kind == "same", address, np.where(has_mail, po_box, "")),
        "mail_addr2": blank,
        "mail_addr3": blank,
        "mail_addr4": blank,
        "mail_city": np.where(has_mail, city, ""),
        "mail_state": np.where(has_mail, "NC", ""),
        "mail_zipcode": np.where(has_mail, zip_code, ""),
    }


def _coordinates(micro: np.ndarray, blank: np.ndarray) -> np.ndarray:
    text = np.array([f"{value / MICRO:.6f}" for value in micro], dtype=object)
    text[blank] = ""
    return text
