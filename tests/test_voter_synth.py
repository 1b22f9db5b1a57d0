"""Synthetic NC voter files: layout, determinism, messiness, and districts that match the polygons.

The district check is independent of the generator: it reads the real layer files itself and
tests each written coordinate with ``shapely.contains_xy``.
"""

from __future__ import annotations

import codecs
import collections
import csv
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import phonenumbers
import pytest
import shapely
from typer.testing import CliRunner

from campaign_pipelines.cli import app
from campaign_pipelines.paths import data_dir
from campaign_pipelines.voterfile.layout import NC_COLUMNS, NC_ENHANCED_COLUMNS, nc_county_fips
from campaign_pipelines.voterfile.synth import SynthSummary, write_synthetic_voter_file
from campaign_pipelines.voterfile.synth.phones import area_code_pool, draw_phones

COUNT = 3000
SEED = 11
NC_AREA_CODES = "919|984|704|980|336|743|910|252|828"
FICTIONAL_PHONE = re.compile(r"1?(\d{3})55501\d\d")
TRUNCATED_PHONE = re.compile(rf"({NC_AREA_CODES})55501")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    path = tmp_path_factory.mktemp("synth") / "ncvoter.txt"
    return path, write_synthetic_voter_file(path, count=COUNT, seed=SEED)


@pytest.fixture(scope="module")
def records(synth: tuple[Path, SynthSummary]) -> list[dict[str, str]]:
    path, _ = synth
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", strict=True))


def _read_polygons(relative: str) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir() / relative).to_crs("EPSG:4326")


def _containing(polygons: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Row position of the polygon holding each point, -1 where none does."""
    found = np.full(len(lon), -1)
    for position, polygon in enumerate(polygons.geometry):
        shapely.prepare(polygon)
        found[shapely.contains_xy(polygon, lon, lat) & (found < 0)] = position
    return found


def test_synth_is_byte_identical_for_a_seed(synth, tmp_path):
    path, _ = synth
    again = tmp_path / "again.txt"
    other = tmp_path / "other.txt"

    write_synthetic_voter_file(again, count=COUNT, seed=SEED)
    write_synthetic_voter_file(other, count=COUNT, seed=SEED + 1)

    assert again.read_bytes() == path.read_bytes()
    assert other.read_bytes() != path.read_bytes()


def test_synth_header_is_the_nc_layout_with_enhanced_columns(synth):
    path, _ = synth

    first_line = path.read_bytes().decode("utf-8").split("\r\n", 1)[0]

    assert tuple(first_line.split("\t")) == (*NC_COLUMNS, *NC_ENHANCED_COLUMNS)


def test_synth_csv_reads_back_exactly_count_records(synth, records):
    path, summary = synth
    raw = path.read_bytes().decode("utf-8")
    with path.open(encoding="utf-8", newline="") as fh:
        field_counts = {len(row) for row in csv.reader(fh, delimiter="\t", strict=True)}

    with_newline = [r["res_street_address"] for r in records if "\n" in r["res_street_address"]]

    assert len(records) == COUNT == summary.rows
    assert field_counts == {len(NC_COLUMNS) + len(NC_ENHANCED_COLUMNS)}
    assert len(with_newline) == summary.embedded_newline_rows >= 1
    assert all(f'"{address}"' in raw for address in with_newline)
    assert raw.count("\r\n") == COUNT + 1  # embedded newlines are bare "\n", never a record end
    assert any("\t" in r["res_street_address"] for r in records)
    assert any('"' in r["first_name"] + r["res_street_address"] for r in records)


def test_synth_duplicates_are_an_older_registration_in_another_county(synth, records):
    _, summary = synth
    by_ncid = collections.defaultdict(list)
    for record in records:
        by_ncid[record["ncid"]].append(record)
    pairs = [rows for rows in by_ncid.values() if len(rows) > 1]

    def day(record: dict[str, str]) -> str:
        month, day_, year = record["registr_dt"].split("/")
        return f"{year}{month}{day_}"

    assert len(by_ncid) == summary.voters == COUNT - summary.duplicate_rows
    assert len(pairs) == summary.duplicate_rows == round(COUNT * 0.01)
    assert all(re.fullmatch(r"[A-Z]{2}\d{6}", ncid) for ncid in by_ncid)
    for rows in pairs:
        current, older = sorted(rows, key=day, reverse=True)
        assert len(rows) == 2
        assert current["status_cd"] == "A"
        assert older["status_cd"] in {"I", "R"}
        assert current["county_id"] != older["county_id"]
        assert (current["last_name"], current["birth_year"]) == (
            older["last_name"],
            older["birth_year"],
        )


def test_synth_phones_are_fictional_555_01xx(synth, records):
    _, summary = synth
    phones = [r["full_phone_number"] for r in records]
    digits = [re.sub(r"\D", "", phone) for phone in phones if phone]

    truncated = [d for d in digits if not FICTIONAL_PHONE.fullmatch(d)]

    assert phones.count("") == summary.rows_without_phone
    assert 0.08 < summary.rows_without_phone / COUNT < 0.12
    assert len(truncated) == summary.invalid_phone_rows > 0
    assert all(TRUNCATED_PHONE.fullmatch(d) for d in truncated)
    assert all(_is_valid_us(d) for d in digits if d not in truncated)
    assert {"(", ".", "+", "-"} <= set("".join(phones))


def _is_valid_us(digits: str) -> bool:
    number = phonenumbers.parse(digits, "US")
    return phonenumbers.is_valid_number_for_region(number, "US")


def _numbers_of_voters(records: list[dict[str, str]]) -> pd.Series:
    """The dialable number of each distinct voter (ncid) who has one, as ten digits."""
    phones = {r["ncid"]: re.sub(r"\D", "", r["full_phone_number"])[-10:] for r in records}
    return pd.Series([p for p in phones.values() if len(p) == 10])


def test_synth_phones_use_every_fictional_number_before_sharing_one(tmp_path):
    path = tmp_path / "ncvoter-50k.txt"
    write_synthetic_voter_file(path, count=50_000, seed=SEED)
    with path.open(encoding="utf-8", newline="") as fh:
        numbers = _numbers_of_voters(list(csv.DictReader(fh, delimiter="\t")))

    held_by = numbers.map(numbers.value_counts())

    # 555-0100..0199 in ~360 US area codes is ~36,000 numbers for ~44,000 voters with a phone,
    # so at 50k some sharing is unavoidable: the whole pool is used, each number by few voters.
    assert numbers.nunique() == 100 * len(area_code_pool()[0]) < len(numbers)
    assert (held_by == 1).mean() > 0.6
    assert held_by.max() <= 4


@pytest.mark.parametrize("voters", [3_000, 30_000])
def test_draw_phones_gives_nine_in_ten_voters_their_own_number_within_capacity(voters):
    phone, invalid = draw_phones(voters, np.random.default_rng(SEED))
    numbers = pd.Series(phone[(phone != "") & ~invalid]).str.replace(r"\D", "", regex=True)
    held_by = numbers.str[-10:].map(numbers.str[-10:].value_counts())

    assert voters <= 100 * len(area_code_pool()[0])
    assert (held_by == 1).mean() >= 0.9
    assert 0.02 < (held_by > 1).mean() < 0.04  # household numbers


def test_area_code_pool_starts_with_nc_and_holds_only_geographic_us_codes():
    codes, weights = area_code_pool()

    assert codes[:9] == tuple(NC_AREA_CODES.split("|"))
    assert weights[:9].sum() == pytest.approx(1) and not weights[9:].any()
    assert len(set(codes)) == len(codes) > 300
    assert not {"800", "888", "500", "900", "416", "876"} & set(codes)
    assert all(_is_valid_us(f"{code}5550100") for code in codes)


def test_synth_sms_opt_in_is_mostly_yes(records):
    opt_in = collections.Counter(r["sms_opt_in"] for r in records)

    assert set(opt_in) == {"Y", "N", ""}
    assert opt_in["Y"] > 0.75 * COUNT


def test_synth_districts_match_an_independent_point_in_polygon(synth, records):
    _, summary = synth
    geocoded = [r for r in records if r["latitude"]]
    lon = np.array([float(r["longitude"]) for r in geocoded])
    lat = np.array([float(r["latitude"]) for r in geocoded])
    counties = _read_polygons("counties/cb_2018_us_county_5m.zip")
    counties = counties[counties["STATEFP"] == "37"].reset_index(drop=True)
    layers = {
        "cong_dist_abbrv": ("districts/nc/tl_2022_37_cd118.zip", "CD118FP"),
        "nc_senate_abbrv": ("districts/nc/tl_2024_37_sldu.zip", "SLDUST"),
        "nc_house_abbrv": (
            "districts/nc/stale/nc_sldl_unitedstates_districts_2020.geojson",
            "name",
        ),
    }

    county = counties.iloc[_containing(counties, lon, lat)]
    wrong = np.zeros(len(geocoded), dtype=int)
    for column, (relative, id_column) in layers.items():
        polygons = _read_polygons(relative)
        found = _containing(polygons, lon, lat)
        expected = [str(int(code)) for code in polygons[id_column].to_numpy()[found]]
        wrong += np.array([r[column] for r in geocoded]) != np.array(expected)

    assert len(geocoded) == COUNT - summary.rows_without_coordinates
    assert [nc_county_fips(r["county_id"]) for r in geocoded] == list(county["GEOID"])
    assert [r["county_desc"] for r in geocoded] == list(county["NAME"].str.upper())
    # Stale codes are the only disagreements, one legislative layer per affected row.
    assert wrong.max() == 1
    assert wrong.sum() == summary.stale_district_rows == round(COUNT * 0.015)


def test_synth_precincts_come_from_the_precinct_polygons(synth, records):
    _, summary = synth
    files = [f"precincts/nc/tl_2008_{geoid}_vtd00.zip" for geoid in ("37001", "37003", "37005")]
    precincts = pd.concat([_read_polygons(f) for f in files], ignore_index=True)
    geocoded = [r for r in records if r["latitude"]]
    lon = np.array([float(r["longitude"]) for r in geocoded])
    lat = np.array([float(r["latitude"]) for r in geocoded])

    found = _containing(precincts, lon, lat)
    inside = [
        (record, precincts.iloc[position])
        for record, position in zip(geocoded, found, strict=True)
        if position >= 0
        and nc_county_fips(record["county_id"]) == "37" + precincts["COUNTYFP00"].iloc[position]
    ]

    assert 0 < len(inside) <= summary.precinct_polygon_rows
    for record, precinct in inside:
        assert record["precinct_abbrv"] == record["vtd_abbrv"] == precinct["VTDST00"]
        assert record["precinct_desc"] == precinct["NAME00"].upper()
    # Elsewhere (no polygons staged) a precinct is a real one of the county in the NCSBE list,
    # so the polling-place route can find it, coded by its place in the county's sorted names.
    ncsbe = pd.read_csv(
        data_dir() / "polling_places/nc/nc_polling_places_2020-10-25.csv",
        sep="\t", encoding="utf-16", dtype=str, keep_default_na=False,
    )  # fmt: skip
    names = {
        county: sorted(set(group.str.strip().str.upper()) - {""})
        for county, group in ncsbe.groupby(ncsbe["county_name"].str.strip().str.upper())[
            "precinct_name"
        ]
    }
    elsewhere = [r for r in records if r["county_id"] not in {"1", "2", "3"}]
    assert elsewhere
    for r in elsewhere:
        assert r["precinct_desc"] in names[r["county_desc"]], r
        assert r["precinct_abbrv"] == f"{names[r['county_desc']].index(r['precinct_desc']) + 1:04d}"


def test_synth_encodings_are_twins_of_the_same_records(synth, tmp_path):
    path, summary = synth
    utf8 = path.read_bytes()
    bom, cp1252 = tmp_path / "bom.txt", tmp_path / "cp1252.txt"

    write_synthetic_voter_file(bom, count=COUNT, seed=SEED, encoding="utf-8-sig")
    write_synthetic_voter_file(cp1252, count=COUNT, seed=SEED, encoding="cp1252")

    text = utf8.decode("utf-8")
    assert bom.read_bytes() == codecs.BOM_UTF8 + utf8
    assert cp1252.read_bytes().decode("cp1252") == text
    assert cp1252.read_bytes().decode("latin-1") == text  # the accents are all latin-1
    assert cp1252.read_bytes() != utf8
    assert summary.accented_name_rows > 0
    assert re.search(r"[À-ÿ]", text)


def test_synth_rejects_an_unknown_encoding(tmp_path):
    with pytest.raises(ValueError, match="encoding must be one of"):
        write_synthetic_voter_file(tmp_path / "x.txt", count=10, seed=1, encoding="utf-16")


def test_voters_synth_cli_prints_counts_and_no_personal_data(tmp_path):
    output = tmp_path / "cli.txt"

    result = CliRunner().invoke(
        app, ["voters", "synth", "--count", "500", "--seed", "3", "--output", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert "Wrote 500 rows (495 voters)" in result.output
    with output.open(encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh, delimiter="\t"))
    personal = {r[c] for r in written for c in ("last_name", "full_phone_number", "ncid")}
    assert not [value for value in personal if len(value) >= 4 and value in result.output]
