"""Synthetic North Carolina voter files: fictional people at real places.

A synthetic file has the NCSBE ``ncvoter`` layout (the 67 official columns, then ``latitude``,
``longitude`` and ``sms_opt_in``), tab-delimited, one header row, quoted only where the csv rules
require it. Every value is invented except the geography:

* Each row gets a home county, weighted by the county's number of election-day polling places (a
  stand-in for population), and a point drawn uniformly inside that county's polygon, in whole
  micro-degrees so the six written decimals are exactly the point that was placed.
* The file's own district columns are filled by ``geopandas.sjoin`` of those points against the
  campaign config's real polygon layers, a different code path from the product's assignment, so
  the two can be cross-checked. Codes are unpadded numbers, as NCSBE writes them ("4", not "04").
* Precincts come from the real voting-district polygons where the config has them; elsewhere a
  plausible code is derived from a 0.04 degree grid cell of the county (``RR-CC``).

Real files are messy, so these are too, in exact, seed-determined amounts: about 1 % duplicate
registrations (an ncid's older, inactive or removed row in another county beside its newer active
one), 1 % rows without coordinates, 1.5 % rows carrying a stale legislative district code (a
different district than the polygons say, as after redistricting), 10 % without a phone, 0.5 %
with a phone too short to dial, accented latin-1 names, apostrophes, quoted nicknames, and a few
addresses holding a tab, a double quote or a newline. ``count`` is the number of data rows;
duplicates are part of it, so the file holds ``count - duplicate_rows`` distinct voters.

Phone numbers are all fictional: an NC area code followed by 555-0100 to 555-0199. The same
``(count, seed)`` always gives a byte-identical file.
"""

from __future__ import annotations

import csv
import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from faker import Faker

from campaign_pipelines import paths
from campaign_pipelines.config import CampaignConfig, DistrictLayerConfig, load_config
from campaign_pipelines.config.loader import resolve_path
from campaign_pipelines.voterfile.layout import (
    NC_COLUMNS,
    NC_ENHANCED_COLUMNS,
    NC_STATE_FIPS,
    nc_county_fips,
)

logger = logging.getLogger(__name__)

SYNTH_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp1252")

_CRS = "EPSG:4326"
_MICRO = 1_000_000
_SNAPSHOT_YEAR = 2025
_SNAPSHOT_DAY = np.datetime64("2025-10-31")
_EARLIEST_REGISTRATION = np.datetime64("1972-01-01")
_PRECINCT_GRID_DEGREES = 0.04
_WRITE_CHUNK_ROWS = 50_000

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

_RATES = {
    "duplicate": 0.01,
    "no_coordinates": 0.01,
    "stale_district": 0.015,
    "no_phone": 0.10,
    "invalid_phone": 0.005,
    "address_newline": 0.0005,
    "address_tab": 0.0005,
    "address_quote": 0.0005,
    "nickname_quote": 0.001,
    "accented_last": 0.03,
    "accented_first": 0.03,
    "apostrophe_last": 0.005,
    "hyphenated_last": 0.01,
}

_NC_AREA_CODES = ("919", "984", "704", "980", "336", "743", "910", "252", "828")
_AREA_CODE_WEIGHTS = (0.2, 0.05, 0.2, 0.05, 0.15, 0.03, 0.12, 0.1, 0.1)
_APOSTROPHE_SURNAMES = ("O'BRIEN", "O'CONNOR", "O'NEAL", "O'DELL", "D'AMATO", "D'ANGELO", "O'HARA")
_NICKNAMES = ("BUD", "SKIP", "SISSY", "DOC", "RED", "TINY", "BUBBA")

# (status_cd, voter_status_desc, reason_cd, voter_status_reason_desc, share) from the layout file.
_STATUSES = (
    ("A", "ACTIVE", "AV", "VERIFIED", 0.82),
    ("A", "ACTIVE", "AN", "UNVERIFIED NEW", 0.04),
    ("I", "INACTIVE", "IN", "CONFIRMATION NOT RETURNED", 0.06),
    ("I", "INACTIVE", "IU", "CONFIRMATION RETURNED UNDELIVERABLE", 0.03),
    ("R", "REMOVED", "RL", "MOVED FROM COUNTY", 0.015),
    ("R", "REMOVED", "RD", "DECEASED", 0.01),
    ("R", "REMOVED", "RS", "MOVED FROM STATE", 0.005),
    ("D", "DENIED", "DI", "UNAVAILABLE ESSENTIAL INFORMATION", 0.005),
    ("D", "DENIED", "DU", "VERIFICATION RETURNED UNDELIVERABLE", 0.005),
    ("S", "TEMPORARY", "SM", "MILITARY", 0.01),
)
# The older registration of a duplicated voter: left behind when they moved county.
_OLD_REGISTRATION_STATUSES = (
    ("I", "INACTIVE", "IN", "CONFIRMATION NOT RETURNED", 0.5),
    ("R", "REMOVED", "RL", "MOVED FROM COUNTY", 0.5),
)
_PARTIES = {"UNA": 0.37, "DEM": 0.31, "REP": 0.30, "LIB": 0.01, "GRE": 0.005, "NLB": 0.005}
_RACES = {"W": 0.62, "B": 0.21, "U": 0.07, "O": 0.04, "A": 0.03, "M": 0.02, "I": 0.01}
_ETHNICITIES = {"NL": 0.78, "UN": 0.16, "HL": 0.06}
_GENDERS = {"F": 0.52, "M": 0.46, "U": 0.02}
_BIRTH_STATES = {
    "NC": 0.55, "": 0.09, "VA": 0.04, "NY": 0.04, "SC": 0.03, "FL": 0.03, "PA": 0.03,
    "OH": 0.02, "NJ": 0.02, "GA": 0.02, "CA": 0.02, "MD": 0.02, "TN": 0.02, "MI": 0.02,
    "IL": 0.02, "TX": 0.02, "OC": 0.01,
}  # fmt: skip
_SUFFIXES = {"": 0.95, "JR": 0.03, "SR": 0.01, "II": 0.005, "III": 0.005}
_SMS_OPT_IN = {"Y": 0.85, "N": 0.10, "": 0.05}
_PHONE_FORMATS = {
    "{a}55501{y}": 0.30,
    "{a}-555-01{y}": 0.20,
    "({a}) 555-01{y}": 0.15,
    "{a}.555.01{y}": 0.10,
    "+1 {a} 555 01{y}": 0.10,
    "1{a}55501{y}": 0.15,
}


@dataclass(frozen=True)
class SynthSummary:
    """What a synthetic file holds, in counts only (no names, phones or addresses).

    ``rows`` counts data records (the header excluded) and includes ``duplicate_rows``, the extra
    older registrations of an ncid that also has a newer row; ``voters`` is the distinct ncids.
    """

    path: Path
    encoding: str
    rows: int
    voters: int
    duplicate_rows: int
    rows_without_coordinates: int
    rows_without_phone: int
    invalid_phone_rows: int
    stale_district_rows: int
    precinct_polygon_rows: int
    quoted_rows: int
    embedded_newline_rows: int
    accented_name_rows: int


@dataclass(frozen=True)
class _Geography:
    counties: gpd.GeoDataFrame  # county_id, county_desc, geoid, weight, geometry
    districts: dict[str, gpd.GeoDataFrame]  # NC column -> code, geometry
    precincts: gpd.GeoDataFrame | None  # geoid, code, desc, geometry
    towns: pd.DataFrame  # county_desc, city, zip


def write_synthetic_voter_file(
    output: Path,
    *,
    count: int,
    seed: int,
    config: CampaignConfig | None = None,
    encoding: str = "utf-8",
) -> SynthSummary:
    """Write ``count`` fictional voter rows at real NC places to ``output`` (see module docs).

    ``encoding`` is one of ``SYNTH_ENCODINGS``; the same seed gives the same records in each, so
    a UTF-8, a UTF-8-with-BOM and a cp1252 file can be compared. The file is written beside
    ``output`` and moved into place, so a reader never sees half a file.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if encoding not in SYNTH_ENCODINGS:
        raise ValueError(f"encoding must be one of {SYNTH_ENCODINGS}, got {encoding!r}")
    config = config or load_config()
    rng = np.random.default_rng(seed)
    logger.info("Generating %s synthetic voter rows (seed %s)", count, seed)

    geography = _load_geography(config)
    pools = _name_pools(seed)
    plan = _plan_rows(geography, count, rng)
    places = _place_rows(geography, plan.home, rng)
    people = _people(plan.n_people, pools, rng)
    messy = _Messiness.draw(count, rng)
    columns = _assemble(geography, pools, places, people, plan, messy, rng)
    _write(output, columns, encoding)

    summary = _summarise(output, encoding, columns, people, plan, messy, places)
    logger.info("Wrote %s rows (%s voters) to %s", summary.rows, summary.voters, output)
    return summary


def _summarise(
    output: Path,
    encoding: str,
    columns: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    plan: _RowPlan,
    messy: _Messiness,
    places: pd.DataFrame,
) -> SynthSummary:
    needs_quotes = people["nickname"][plan.person_of_row]
    needs_quotes[np.concatenate([messy.newline_rows, messy.tab_rows, messy.quote_rows])] = True
    return SynthSummary(
        path=output,
        encoding=encoding,
        rows=plan.rows,
        voters=plan.n_people,
        duplicate_rows=plan.rows - plan.n_people,
        rows_without_coordinates=int(messy.no_coordinates.sum()),
        rows_without_phone=int((columns["full_phone_number"] == "").sum()),
        invalid_phone_rows=int(people["invalid_phone"][plan.person_of_row].sum()),
        stale_district_rows=len(messy.stale_rows),
        precinct_polygon_rows=int(places["from_precinct_polygon"].sum()),
        quoted_rows=int(needs_quotes.sum()),
        embedded_newline_rows=len(messy.newline_rows),
        accented_name_rows=int(people["accented"][plan.person_of_row].sum()),
    )


# --- geography --------------------------------------------------------------------------------


def _load_geography(config: CampaignConfig) -> _Geography:
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

    towns = _read_towns()
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

    return _Geography(counties, districts, precincts, towns)


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
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=_CRS)


# Tests and the demo write several files in one process, and reading polygons dominates start-up.
@functools.lru_cache(maxsize=16)
def _read_polygons(path: Path, modified_ns: int) -> gpd.GeoDataFrame:
    return gpd.read_file(path).to_crs(_CRS)


def _read_towns() -> pd.DataFrame:
    path = paths.data_dir() / _POLLING_PLACES
    if not path.is_file():
        raise FileNotFoundError(f"{path}: NCSBE polling-place list (county towns and ZIPs)")
    # NCSBE exports this list as UTF-16, tab-separated, whatever its name says.
    frame = pd.read_csv(path, sep="\t", encoding="utf-16", dtype=str, keep_default_na=False)
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


# --- where each row lives -----------------------------------------------------------------------


@dataclass(frozen=True)
class _RowPlan:
    """Who each row is and where: rows come county by county, like NCSBE's statewide file.

    ``person_of_row`` maps a row to its person; ``home`` is the row's county (a position in
    ``_Geography.counties``). ``old_rows[i]`` is an older registration whose voter's current
    row is ``current_rows[i]``.
    """

    person_of_row: np.ndarray
    home: np.ndarray
    n_people: int
    old_rows: np.ndarray
    current_rows: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.person_of_row)


def _plan_rows(geography: _Geography, count: int, rng: np.random.Generator) -> _RowPlan:
    n_duplicates = round(_RATES["duplicate"] * count)
    n_people = count - n_duplicates
    weights = geography.counties["weight"].to_numpy(dtype=float)
    weights /= weights.sum()
    home = rng.choice(len(weights), size=n_people, p=weights)

    moved = rng.choice(n_people, size=n_duplicates, replace=False)
    old_home = rng.choice(len(weights), size=n_duplicates, p=weights)
    for _ in range(100):
        same = old_home == home[moved]
        if not same.any():
            break
        old_home[same] = rng.choice(len(weights), size=int(same.sum()), p=weights)

    home = np.concatenate([home, old_home])
    order = np.argsort(home, kind="stable")
    row_of = np.empty(count, dtype=np.int64)
    row_of[order] = np.arange(count)
    return _RowPlan(
        person_of_row=np.concatenate([np.arange(n_people), moved])[order],
        home=home[order],
        n_people=n_people,
        old_rows=row_of[n_people:],
        current_rows=row_of[moved],
    )


def _place_rows(geography: _Geography, home: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """A point per row inside its home county and every district layer, with their codes."""
    n = len(home)
    lon = np.zeros(n, dtype=np.int64)
    lat = np.zeros(n, dtype=np.int64)
    layers = {"county": geography.counties, **geography.districts}
    hits = {name: np.full(n, -1, dtype=np.int64) for name in layers}
    todo = np.arange(n)

    # Generalised county lines and the coast leave slivers outside some layer: redraw those.
    for _ in range(50):
        for position in np.unique(home[todo]):
            rows = todo[home[todo] == position]
            polygon = geography.counties.geometry.iloc[position]
            lon[rows], lat[rows] = _points_in(polygon, len(rows), rng)
        points = _points(lon[todo], lat[todo])
        for name, polygons in layers.items():
            hits[name][todo] = _polygon_of(points, polygons)
        todo = todo[np.any([hits[name][todo] < 0 for name in layers], axis=0)]
        if not len(todo):
            break
    else:
        raise RuntimeError(f"{len(todo)} synthetic points fell outside the district layers")

    places = pd.DataFrame({"lon_micro": lon, "lat_micro": lat, "county_position": hits["county"]})
    for column, polygons in geography.districts.items():
        places[column] = polygons["code"].to_numpy()[hits[column]]
    return _add_precincts(geography, places)


def _points_in(
    polygon: shapely.Geometry, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` uniform points inside ``polygon``, in integer micro-degrees."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = (round(b * _MICRO) for b in polygon.bounds)
    fill = polygon.area * _MICRO**2 / max((maxx - minx) * (maxy - miny), 1)
    xs, ys, found = [], [], 0
    while found < k:
        m = int((k - found) / max(fill, 0.01) * 1.2) + 64
        x = rng.integers(minx, maxx, size=m, endpoint=True)
        y = rng.integers(miny, maxy, size=m, endpoint=True)
        inside = shapely.contains_xy(polygon, x / _MICRO, y / _MICRO)
        xs.append(x[inside])
        ys.append(y[inside])
        found += int(inside.sum())
    return np.concatenate(xs)[:k], np.concatenate(ys)[:k]


def _points(lon_micro: np.ndarray, lat_micro: np.ndarray) -> gpd.GeoDataFrame:
    # Dividing whole micro-degrees gives the same float as parsing the written six decimals.
    geometry = gpd.points_from_xy(lon_micro / _MICRO, lat_micro / _MICRO)
    return gpd.GeoDataFrame(geometry=geometry, crs=_CRS)


def _polygon_of(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the polygon holding each point (the lowest if several), -1 for none."""
    joined = gpd.sjoin(points, polygons[["geometry"]], how="inner", predicate="within")
    first = joined.groupby(level=0)["index_right"].min()
    result = np.full(len(points), -1, dtype=np.int64)
    result[first.index.to_numpy()] = first.to_numpy()
    return result


def _add_precincts(geography: _Geography, places: pd.DataFrame) -> pd.DataFrame:
    counties = geography.counties
    position = places["county_position"].to_numpy()
    lon, lat = places["lon_micro"].to_numpy(), places["lat_micro"].to_numpy()
    geoid = counties["geoid"].to_numpy()[position]

    # Without precinct polygons: a grid cell of the county's box, coded like Wake's "01-07".
    bounds = counties.geometry.bounds.to_numpy()[position]
    grid_row = ((bounds[:, 3] - lat / _MICRO) // _PRECINCT_GRID_DEGREES).astype(int) + 1
    grid_col = ((lon / _MICRO - bounds[:, 0]) // _PRECINCT_GRID_DEGREES).astype(int) + 1
    code = _TWO_DIGITS[np.clip(grid_row, 0, 99)] + "-" + _TWO_DIGITS[np.clip(grid_col, 0, 99)]
    desc = "PRECINCT " + code
    from_polygon = np.zeros(len(places), dtype=bool)

    precincts = geography.precincts
    covered = (
        counties.index[counties["geoid"].isin(precincts["geoid"])] if precincts is not None else []
    )
    rows = np.flatnonzero(np.isin(position, covered))
    if len(rows):
        points = _points(lon[rows], lat[rows])
        hit = _polygon_of(points, precincts)
        own = (hit >= 0) & (precincts["geoid"].to_numpy()[hit] == geoid[rows])
        # Generalised county lines leave some points outside every precinct of their county.
        stray = np.flatnonzero(~own)
        chosen = hit.copy()
        chosen[stray] = _nearest_precinct(
            precincts, points.geometry.iloc[stray], geoid[rows][stray]
        )
        code[rows] = precincts["code"].to_numpy()[chosen]
        desc[rows] = precincts["desc"].to_numpy()[chosen]
        from_polygon[rows] = own

    places["precinct_abbrv"], places["precinct_desc"] = code, desc
    places["from_precinct_polygon"] = from_polygon
    return places


def _nearest_precinct(
    precincts: gpd.GeoDataFrame, points: gpd.GeoSeries, geoids: np.ndarray
) -> np.ndarray:
    result = np.zeros(len(points), dtype=np.int64)
    for geoid in np.unique(geoids):
        rows = np.flatnonzero(geoids == geoid)
        candidates = np.flatnonzero(precincts["geoid"].to_numpy() == geoid)
        tree = shapely.STRtree(precincts.geometry.to_numpy()[candidates])
        _, nearest = tree.query_nearest(points.to_numpy()[rows], all_matches=False)
        result[rows] = candidates[nearest]
    return result


# --- who each person is -------------------------------------------------------------------------


def _name_pools(seed: int) -> dict[str, np.ndarray]:
    """Upper-case names and streets from Faker, seeded; accented names all encode as latin-1."""

    def sample(locale: str, method: str, calls: int, *, accented: bool = False) -> np.ndarray:
        fake = Faker(locale)
        fake.seed_instance(seed)
        names = dict.fromkeys(getattr(fake, method)().upper() for _ in range(calls))
        if accented:
            names = {name: None for name in names if not name.isascii() and _is_latin1(name)}
        return np.array(list(names), dtype=object)

    def accented(method: str, locales: tuple[str, ...]) -> np.ndarray:
        return np.concatenate([sample(locale, method, 800, accented=True) for locale in locales])

    return {
        "first_male": sample("en_US", "first_name_male", 1500),
        "first_female": sample("en_US", "first_name_female", 1500),
        "last": sample("en_US", "last_name", 3000),
        "streets": sample("en_US", "street_name", 1500),
        "accented_male": accented("first_name_male", ("es_MX", "fr_FR")),
        "accented_female": accented("first_name_female", ("es_MX", "fr_FR")),
        "accented_last": accented("last_name", ("es_MX", "de_DE")),
        "apostrophe_last": np.array(_APOSTROPHE_SURNAMES, dtype=object),
        "nicknames": np.array(_NICKNAMES, dtype=object),
    }


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _people(
    n: int, pools: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    gender = _pick(_GENDERS, n, rng)
    female = gender == "F"

    def first_names(accented: bool = False) -> np.ndarray:
        kind = "accented_" if accented else "first_"
        male = _draw(pools[f"{kind}male"], n, rng)
        return np.where(female, _draw(pools[f"{kind}female"], n, rng), male)

    first, middle, last = first_names(), first_names(), _draw(pools["last"], n, rng)
    accented_first = rng.random(n) < _RATES["accented_first"]
    first[accented_first] = first_names(accented=True)[accented_first]
    accented_last = rng.random(n) < _RATES["accented_last"]
    last[accented_last] = _draw(pools["accented_last"], n, rng)[accented_last]
    apostrophe = ~accented_last & (rng.random(n) < _RATES["apostrophe_last"])
    last[apostrophe] = _draw(pools["apostrophe_last"], n, rng)[apostrophe]
    hyphenated = ~accented_last & ~apostrophe & (rng.random(n) < _RATES["hyphenated_last"])
    last[hyphenated] = last[hyphenated] + "-" + _draw(pools["last"], n, rng)[hyphenated]

    middle[rng.random(n) < 0.15] = ""
    initial = rng.random(n) < 0.10
    middle[initial] = [name[:1] for name in middle[initial]]
    nickname = _exact_masks(n, [_RATES["nickname_quote"]], rng)[0]
    first[nickname] = first[nickname] + ' "' + _draw(pools["nicknames"], n, rng)[nickname] + '"'

    age = 18 + np.floor(rng.beta(1.6, 2.4, size=n) * 80).astype(np.int64)
    phone, invalid_phone = _phones(n, rng)
    return {
        "first": first,
        "middle": middle,
        "last": last,
        "suffix": _pick(_SUFFIXES, n, rng),
        "gender": gender,
        "race": _pick(_RACES, n, rng),
        "ethnicity": _pick(_ETHNICITIES, n, rng),
        "party": _pick(_PARTIES, n, rng),
        "birth_year": _SNAPSHOT_YEAR - age,
        "birth_state": _pick(_BIRTH_STATES, n, rng),
        "drivers_lic": _pick({"Y": 0.9, "N": 0.1}, n, rng),
        "phone": phone,
        "invalid_phone": invalid_phone,
        "sms_opt_in": _pick(_SMS_OPT_IN, n, rng),
        "ncid": _ncids(n, rng),
        "nickname": nickname,
        "accented": accented_first | accented_last,
    }


def _phones(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fictional numbers only: NC area code + 555-01XX, in the spellings voter files use."""
    area = rng.choice(np.array(_NC_AREA_CODES, dtype=object), size=n, p=_AREA_CODE_WEIGHTS)
    last_two = _TWO_DIGITS[rng.integers(0, 100, size=n)]
    style = _pick(_PHONE_FORMATS, n, rng)
    phone = np.empty(n, dtype=object)
    for template in _PHONE_FORMATS:
        rows = style == template
        phone[rows] = [
            template.format(a=a, y=y) for a, y in zip(area[rows], last_two[rows], strict=True)
        ]

    missing, invalid = _exact_masks(n, [_RATES["no_phone"], _RATES["invalid_phone"]], rng)
    phone[missing] = ""
    # Two digits short, as when a clerk's entry was cut off.
    phone[invalid] = area[invalid] + "-555-01"
    return phone, invalid


def _ncids(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unique NCIDs shaped like NCSBE's: two letters and six digits ("BN123456")."""
    values = _unique_ints(n, 26 * 26 * 10**6, rng)
    letters = np.array([chr(65 + i) for i in range(26)], dtype=object)
    prefix = letters[values // 26_000_000] + letters[(values // 10**6) % 26]
    return prefix + np.array([f"{v:06d}" for v in (values % 10**6).tolist()], dtype=object)


def _unique_ints(n: int, space: int, rng: np.random.Generator) -> np.ndarray:
    values = np.empty(0, dtype=np.int64)
    while len(values) < n:
        values = pd.unique(np.concatenate([values, rng.integers(0, space, size=n + 16)]))
    return values[:n]


# --- rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Messiness:
    """Which rows carry each kind of mess real files have (exact counts for a row count)."""

    no_coordinates: np.ndarray  # mask
    stale_rows: np.ndarray
    newline_rows: np.ndarray
    tab_rows: np.ndarray
    quote_rows: np.ndarray

    @classmethod
    def draw(cls, n: int, rng: np.random.Generator) -> _Messiness:
        (no_coordinates,) = _exact_masks(n, [_RATES["no_coordinates"]], rng)
        # Stale codes go on rows with coordinates, so a cross-check can see every one of them.
        geocoded = np.flatnonzero(~no_coordinates)
        stale_count = min(round(_RATES["stale_district"] * n), len(geocoded))
        stale = np.sort(rng.choice(geocoded, size=stale_count, replace=False))
        rates = [_RATES["address_newline"], _RATES["address_tab"], _RATES["address_quote"]]
        newline, tab, quote = (np.flatnonzero(m) for m in _exact_masks(n, rates, rng, minimum=1))
        return cls(no_coordinates, stale, newline, tab, quote)


def _assemble(
    geography: _Geography,
    pools: dict[str, np.ndarray],
    places: pd.DataFrame,
    people: dict[str, np.ndarray],
    plan: _RowPlan,
    messy: _Messiness,
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
    _make_stale(geography, districts, messy.stale_rows, rng)
    latitude = _coordinates(places["lat_micro"].to_numpy(), messy.no_coordinates)
    longitude = _coordinates(places["lon_micro"].to_numpy(), messy.no_coordinates)
    municipal = rng.random(n) < 0.6
    precinct = places["precinct_abbrv"].to_numpy(dtype=object)

    columns = {
        "county_id": _NUMBERS[counties["county_id"].to_numpy()[position]],
        "county_desc": county_desc,
        "voter_reg_num": np.array([f"{v:012d}" for v in _unique_ints(n, 10**9, rng).tolist()]),
        "ncid": person["ncid"],
        "last_name": person["last"],
        "first_name": person["first"],
        "middle_name": person["middle"],
        "name_suffix_lbl": person["suffix"],
        **_statuses(plan, rng),
        "res_street_address": res_address,
        "res_city_desc": city,
        "state_cd": np.full(n, "NC", dtype=object),
        "zip_code": zip_code,
        **_mailing(address, city, zip_code, rng),
        "full_phone_number": person["phone"],
        "confidential_ind": np.full(n, "N", dtype=object),
        "registr_dt": _registration_dates(person["birth_year"], plan, rng),
        "race_code": person["race"],
        "ethnic_code": person["ethnicity"],
        "party_cd": person["party"],
        "gender_code": person["gender"],
        "birth_year": _NUMBERS[person["birth_year"]],
        "age_at_year_end": _NUMBERS[_SNAPSHOT_YEAR - person["birth_year"]],
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
    pick = start + np.floor(rng.random(len(wanted)) * (stop - start)).astype(np.int64)
    return towns["city"].to_numpy(dtype=object)[pick], towns["zip"].to_numpy(dtype=object)[pick]


def _addresses(
    n: int, pools: dict[str, np.ndarray], messy: _Messiness, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The clean street address (reused for mail) and the residence one with its quirks."""
    number = _NUMBERS[rng.integers(100, 9999, size=n)]
    street = _draw(pools["streets"], n, rng)
    unit = _NUMBERS[rng.integers(1, 40, size=n)]
    address = number + " " + street
    apartment = rng.random(n) < 0.08
    address[apartment] = address[apartment] + " APT " + unit[apartment]

    residence = address.copy()
    rows = messy.newline_rows
    residence[rows] = number[rows] + " " + street[rows] + "\nAPT " + unit[rows]
    rows = messy.tab_rows
    residence[rows] = number[rows] + " " + street[rows] + "\tUNIT " + unit[rows]
    rows = messy.quote_rows
    residence[rows] = number[rows] + ' "REAR" ' + street[rows]
    return address, residence


def _mailing(
    address: np.ndarray, city: np.ndarray, zip_code: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = len(address)
    kind = _pick({"same": 0.85, "po_box": 0.08, "none": 0.07}, n, rng)
    po_box = "PO BOX " + _NUMBERS[rng.integers(1, 9999, size=n)]
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


def _statuses(plan: _RowPlan, rng: np.random.Generator) -> dict[str, np.ndarray]:
    table = np.array([s[:4] for s in _STATUSES], dtype=object)
    picked = table[rng.choice(len(table), size=plan.rows, p=[s[4] for s in _STATUSES])]
    old = np.array([s[:4] for s in _OLD_REGISTRATION_STATUSES], dtype=object)
    shares = [s[4] for s in _OLD_REGISTRATION_STATUSES]
    picked[plan.old_rows] = old[rng.choice(len(old), size=len(plan.old_rows), p=shares)]
    # Whoever left an old registration behind is active and verified in their new county.
    picked[plan.current_rows] = table[0]
    names = ("status_cd", "voter_status_desc", "reason_cd", "voter_status_reason_desc")
    return {name: picked[:, i] for i, name in enumerate(names)}


def _registration_dates(
    birth_year: np.ndarray, plan: _RowPlan, rng: np.random.Generator
) -> np.ndarray:
    """``MM/DD/YYYY`` between the 18th birthday year and the snapshot; old rows come first."""
    adult = (birth_year + 18 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    start = np.maximum(adult, _EARLIEST_REGISTRATION)
    span = (_SNAPSHOT_DAY - start).astype(np.int64)
    offset = np.floor(rng.random(plan.rows) * (span + 1)).astype(np.int64)
    current, older = plan.current_rows, plan.old_rows
    offset[current] = np.maximum(offset[current], 1)
    offset[older] = np.floor(rng.random(len(older)) * offset[current]).astype(np.int64)
    day = start + offset

    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    return _TWO_DIGITS[month] + "/" + _TWO_DIGITS[day_of_month] + "/" + _NUMBERS[year]


def _make_stale(
    geography: _Geography,
    districts: dict[str, np.ndarray],
    rows: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Give ``rows`` a wrong code in one legislative layer, as files carry after redistricting."""
    names = list(districts)
    layer_of_row = rng.integers(0, len(names), size=len(rows))
    for i, column in enumerate(names):
        chosen = rows[layer_of_row == i]
        codes = np.array(sorted(set(geography.districts[column]["code"])), dtype=object)
        current = np.searchsorted(codes, districts[column][chosen].astype(str))
        shift = rng.integers(1, len(codes), size=len(chosen))
        districts[column][chosen] = codes[(current + shift) % len(codes)]


def _coordinates(micro: np.ndarray, blank: np.ndarray) -> np.ndarray:
    text = np.array([f"{value / _MICRO:.6f}" for value in micro], dtype=object)
    text[blank] = ""
    return text


def _write(output: Path, columns: dict[str, np.ndarray], encoding: str) -> None:
    header = (*NC_COLUMNS, *NC_ENHANCED_COLUMNS)
    unknown = set(columns) - set(header)
    if unknown:
        raise ValueError(f"synthetic columns {sorted(unknown)} are not in the NC layout")
    n = len(next(iter(columns.values())))

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    with partial.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(header)
        # In slices: a million rows of Python strings at once would take gigabytes.
        for start in range(0, n, _WRITE_CHUNK_ROWS):
            stop = min(start + _WRITE_CHUNK_ROWS, n)
            blank = [""] * (stop - start)
            values = [columns[c][start:stop].tolist() if c in columns else blank for c in header]
            writer.writerows(zip(*values, strict=True))
    os.replace(partial, output)


# --- sampling helpers ---------------------------------------------------------------------------

# Lookup tables: indexing them is far quicker than formatting a million integers.
_TWO_DIGITS = np.array([f"{v:02d}" for v in range(100)], dtype=object)
_NUMBERS = np.array([str(v) for v in range(10_000)], dtype=object)


def _pick(shares: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    values = np.array(list(shares), dtype=object)
    weights = np.array(list(shares.values()), dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def _draw(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return pool[rng.integers(0, len(pool), size=n)]


def _exact_masks(
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
