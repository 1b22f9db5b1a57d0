"""Polling-place feeds read into one shape, and matched to voters' precincts by code or name."""

import pandas as pd
import pytest

from campaign_pipelines import paths
from campaign_pipelines.catalog.entries import EARLY_VOTE_SITE, POLLING_PLACE, FeedError
from campaign_pipelines.catalog.match import match_precincts, match_rates
from campaign_pipelines.catalog.ncsbe import read_ncsbe
from campaign_pipelines.catalog.vip3 import read_vip3
from campaign_pipelines.catalog.vip5 import read_vip5_csv, read_vip5_xml

DATA = paths.data_dir()
NCSBE = DATA / "polling_places/nc/nc_polling_places_2020-10-25.csv"
VIP3 = DATA / "vip/nc_2012_primary_vip3"


def test_catalog_ncsbe_reads_utf16_tab_separated_list():
    entries = read_ncsbe(NCSBE)
    assert len(entries) == 2662 and entries["county_name"].nunique() == 100
    coble = entries[(entries["county_name"] == "ALAMANCE") & (entries["precinct_name"] == "COBLE")]
    assert coble[["name", "address"]].iloc[0].tolist() == [
        "ALAMANCE CIVITAN CLUB HOUSE", "3328 DOCTOR PICKETT RD, BURLINGTON, NC 27215",
    ]  # fmt: skip


def test_catalog_ncsbe_refuses_a_file_in_another_encoding(tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("county_name\tprecinct_name\nWAKE\tX\n", encoding="utf-8")
    with pytest.raises(FeedError, match=r"list\.csv"):
        read_ncsbe(bad)


def test_catalog_vip3_follows_precinct_to_polling_location_and_early_site():
    entries = read_vip3(VIP3)
    places = entries[entries["kind"] == POLLING_PLACE].set_index("precinct_name")
    # PATTERSON (910011) -> precinct_polling_location -> 2300126.
    assert places.loc["PATTERSON", ["place_id", "name"]].tolist() == [
        "2300126", "SYLVAN ELEMENTARY SCHOOL",
    ]  # fmt: skip
    # A precinct without a site of its own takes its split's: WEST BOONE via its splits.
    assert "WEST BOONE" in places.index
    early = entries[entries["kind"] == EARLY_VOTE_SITE]
    assert set(early["county_name"]) == {"ALAMANCE", "ALEXANDER", "ALLEGHANY"}
    assert early["hours"].str.contains("a.m.").all()


def test_catalog_vip5_csv_and_xml_link_precinct_to_polling_location():
    csv = read_vip5_csv(DATA / "vip/csv_5.1/examples")
    xml = read_vip5_xml(DATA / "vip/samples/sample_feed_v5.xml")
    first = csv[(csv["kind"] == POLLING_PLACE)].iloc[0]
    assert (first["precinct_code"], first["place_id"]) == ("0203", "poll001")
    branchlands = xml[(xml["precinct_code"] == "0103") & (xml["kind"] == POLLING_PLACE)].iloc[0]
    assert (branchlands["county_name"], branchlands["name"]) == ("ALBEMARLE", "SENIOR CENTER")
    assert "06:00-19:00" in branchlands["hours"]
    early = xml[(xml["precinct_code"] == "0103") & (xml["kind"] == EARLY_VOTE_SITE)].iloc[0]
    assert early["place_id"] == "pl81273"


def test_catalog_match_by_code_then_name_and_rates_per_county():
    precincts = pd.DataFrame({
        "county_fips": ["37001", "37001", "37001"], "county_name": ["Alamance"] * 3,
        "precinct_code": ["01", "ZZ", "QQ"], "precinct_name": ["patterson", "coble", "nowhere"],
        "precinct_key": ["001-01", "001-ZZ", "001-QQ"], "voters": [10, 5, 1],
    })  # fmt: skip
    matched = match_precincts(precincts, [read_vip3(VIP3), read_ncsbe(NCSBE)], POLLING_PLACE)
    by_key = matched.set_index("precinct_key")
    assert by_key.loc["001-01", "match"] == "code"
    assert by_key.loc["001-01", "source"].startswith("vip3:")
    assert (by_key.loc["001-ZZ", "match"], by_key.loc["001-ZZ", "name"]) == (
        "name", "ALAMANCE CIVITAN CLUB HOUSE",
    )  # fmt: skip
    assert pd.isna(by_key.loc["001-QQ", "match"])
    rates = match_rates(matched).iloc[0]
    assert (rates["by_code"], rates["by_name"], rates["fallback"], rates["fallback_voters"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
