"""The real places synthetic voters live at: county, district and precinct polygons, and towns.

Polygons come from the campaign config's district layers; towns and ZIPs (and each county's
weight) from NCSBE's polling-place list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from campaign_pipelines import paths
from campaign_pipelines.config import CampaignConfig, DistrictLayerConfig
from campaign_pipelines.config.loader import resolve_path
from campaign_pipelines.voterfile.layout import NC_STATE_FIPS, nc_county_fips

CRS = "EPSG:4326"
MICRO = 1_000_000

# Polling places per county stand in for population, and give each county its real towns and ZIPs.
_POLLING_PLACES = Path("polling_places/nc/nc_polling_places_2020-10-25.csv")

# Config ``voter_file_field`` of each layer the file carries, and the NC column it fills.
_DISTRICT_COLUMNS = {
    "congressional_district": "cong_dist_abbrv",
    "state_senate_district": "nc_senate_abbrv",
    "state_house_district": "nc_house_abbrv",
}
_COUNTY_FIELD = "county_fips"
_PRECINCT_FIELD = "precinct_key"


@dataclass(frozen=True)
class Geography:
    counties: gpd.GeoDataFrame  # county_id, county_desc, geoid, weight, geometry
    districts: dict[str, gpd.GeoDataFrame]  # NC column -> code, geometry
    precincts: gpd.GeoDataFrame | None  # geoid, code, desc, geometry
    towns: pd.DataFrame  # county_desc, city, zip
    # Each county's precinct names in the NCSBE polling-place list, sorted: where no precinct
    # polygons are staged, voters get one of these, so their polling place can be found.
    precinct_names: dict[str, list[str]]


def load_geography(config: CampaignConfig) -> Geography:
    """The config's county, district and precinct layers, and each county's towns."""
    by_field = {layer.voter_file_field: layer for layer in config.districts.layers}
    missing = sorted({_COUNTY_FIELD, *_DISTRICT_COLUMNS} - set(by_field))
    if missing:
        raise ValueError(
            f"{config.source_path}: synthetic voters need district layers with voter_file_field "
            f"{missing}; the config has {sorted(f for f in by_field if f)}"
        )

    counties = _read_layer(config, by_field[_COUNTY_FIELD])
    layer = by_field[_COUNTY_FIELD]
    counties["geoid"] = counties[layer.id_columns[-1]].astype(str)
    counties["county_id"] = [_nc_county_id(geoid) for geoid in counties["geoid"]]
    counties["county_desc"] = counties[layer.name_column or "NAME"].astype(str).str.upper()
    counties = counties.sort_values("county_id", ignore_index=True)

    polling_places = _read_polling_places()
    towns = _towns(polling_places)
    without_towns = sorted(set(counties["county_desc"]) - set(towns["county_desc"]))
    if without_towns:
        raise ValueError(f"{_POLLING_PLACES}: no polling places for counties {without_towns}")
    counties["weight"] = counties["county_desc"].map(towns.groupby("county_desc").size())

    districts = {}
    for field, column in _DISTRICT_COLUMNS.items():
        layer = by_field[field]
        frame = _read_layer(config, layer)
        frame["code"] = _codes(frame[layer.id_columns[-1]], layer=layer)
        districts[column] = frame[["code", "geometry"]]

    precincts = None
    if _PRECINCT_FIELD in by_field:
        layer = by_field[_PRECINCT_FIELD]
        frame = _read_layer(config, layer)
        # The layer's id is (county FIPS, precinct code), as TIGER's COUNTYFP00 + VTDST00.
        frame["geoid"] = NC_STATE_FIPS + frame[layer.id_columns[0]].astype(str).str.zfill(3)
        frame["code"] = frame[layer.id_columns[-1]].astype(str).str.strip()
        names = frame[layer.name_column] if layer.name_column else frame["code"]
        frame["desc"] = names.astype(str).str.strip().str.upper()
        precincts = frame[["geoid", "code", "desc", "geometry"]]

    return Geography(counties, districts, precincts, towns, _precinct_names(polling_places))


def _read_layer(config: CampaignConfig, layer: DistrictLayerConfig) -> gpd.GeoDataFrame:
    frames = []
    for raw in layer.files:
        path = resolve_path(config, raw)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: polygon file of district layer {layer.name!r}")
        frames.append(_read_polygons(path, path.stat().st_mtime_ns))
    frame = pd.concat(frames, ignore_index=True)
    for column, value in layer.filter.items():
        frame = frame[frame[column].astype(str) == value]
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=CRS)


# Tests and the demo write several files in one process, and reading polygons dominates start-up.
@functools.lru_cache(maxsize=16)
def _read_polygons(path: Path, modified_ns: int) -> gpd.GeoDataFrame:
    return gpd.read_file(path).to_crs(CRS)


def _read_polling_places() -> pd.DataFrame:
    path = paths.data_dir() / _POLLING_PLACES
    if not path.is_file():
        raise FileNotFoundError(f"{path}: NCSBE polling-place list (county towns and ZIPs)")
    # NCSBE exports this list as UTF-16, tab-separated, whatever its name says.
    return pd.read_csv(path, sep="\t", encoding="utf-16", dtype=str, keep_default_na=False)


def _precinct_names(frame: pd.DataFrame) -> dict[str, list[str]]:
    names = frame[["county_name", "precinct_name"]].apply(lambda c: c.str.strip().str.upper())
    names = names[names["precinct_name"] != ""].drop_duplicates()
    return {
        county: sorted(group["precinct_name"])
        for county, group in names.groupby("county_name", sort=True)
    }


def _towns(frame: pd.DataFrame) -> pd.DataFrame:
    towns = frame.rename(columns={"county_name": "county_desc"})[["county_desc", "city", "zip"]]
    towns = towns.apply(lambda column: column.str.strip().str.upper())
    towns = towns[(towns["city"] != "") & towns["zip"].str.fullmatch(r"\d{5}")]
    return towns.sort_values("county_desc", kind="stable", ignore_index=True)


def _nc_county_id(geoid: str) -> int:
    county_id = (int(geoid[2:]) + 1) // 2
    if nc_county_fips(str(county_id)) != geoid:
        raise ValueError(f"county GEOID {geoid!r} is not a North Carolina county")
    return county_id


def _codes(values: pd.Series, *, layer: DistrictLayerConfig) -> pd.Series:
    """District codes as NCSBE writes them: numeric ids without leading zeros."""
    text = values.astype(str).str.strip()
    if not layer.numeric_id:
        return text
    odd = sorted(set(text[~text.str.fullmatch(r"\d+")]))
    if odd:
        raise ValueError(f"district layer {layer.name!r}: expected numeric ids, found {odd[:5]}")
    return text.astype(int).astype(str)
