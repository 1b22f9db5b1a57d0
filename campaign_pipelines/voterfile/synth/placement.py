"""A point for each row inside its home county, and the district and precinct codes there.

Points are whole micro-degrees, so the six written decimals are exactly the point placed. The
codes come from ``geopandas.sjoin`` against the real polygons, a different code path from the
product's district assignment, so the two can be cross-checked.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from campaign_pipelines.voterfile.synth.geography import CRS, MICRO, Geography
from campaign_pipelines.voterfile.synth.sampling import TWO_DIGITS

_PRECINCT_GRID_DEGREES = 0.04
_CELLS_PER_ROW = 101  # a grid cell's number, spread over a county's precinct names


def place_rows(geography: Geography, home: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
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
    minx, miny, maxx, maxy = (round(b * MICRO) for b in polygon.bounds)
    fill = polygon.area * MICRO**2 / max((maxx - minx) * (maxy - miny), 1)
    xs, ys, found = [], [], 0
    while found < k:
        m = int((k - found) / max(fill, 0.01) * 1.2) + 64
        x = rng.integers(minx, maxx, size=m, endpoint=True)
        y = rng.integers(miny, maxy, size=m, endpoint=True)
        inside = shapely.contains_xy(polygon, x / MICRO, y / MICRO)
        xs.append(x[inside])
        ys.append(y[inside])
        found += int(inside.sum())
    return np.concatenate(xs)[:k], np.concatenate(ys)[:k]


def _points(lon_micro: np.ndarray, lat_micro: np.ndarray) -> gpd.GeoDataFrame:
    # Dividing whole micro-degrees gives the same float as parsing the written six decimals.
    geometry = gpd.points_from_xy(lon_micro / MICRO, lat_micro / MICRO)
    return gpd.GeoDataFrame(geometry=geometry, crs=CRS)


def _polygon_of(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Position of the polygon holding each point (the lowest if several), -1 for none."""
    joined = gpd.sjoin(points, polygons[["geometry"]], how="inner", predicate="within")
    first = joined.groupby(level=0)["index_right"].min()
    result = np.full(len(points), -1, dtype=np.int64)
    result[first.index.to_numpy()] = first.to_numpy()
    return result


def _add_precincts(geography: Geography, places: pd.DataFrame) -> pd.DataFrame:
    counties = geography.counties
    position = places["county_position"].to_numpy()
    lon, lat = places["lon_micro"].to_numpy(), places["lat_micro"].to_numpy()
    geoid = counties["geoid"].to_numpy()[position]

    # Without precinct polygons: a grid cell of the county's box stands for a precinct, and is
    # given one of the county's real precinct names from the NCSBE list (neighbours share one),
    # so the polling-place route finds these voters' polling places as it would a real file's.
    # The code is the name's place in the county's sorted list, four digits like "0012".
    bounds = counties.geometry.bounds.to_numpy()[position]
    grid_row = ((bounds[:, 3] - lat / MICRO) // _PRECINCT_GRID_DEGREES).astype(int) + 1
    grid_col = ((lon / MICRO - bounds[:, 0]) // _PRECINCT_GRID_DEGREES).astype(int) + 1
    code = TWO_DIGITS[np.clip(grid_row, 0, 99)] + "-" + TWO_DIGITS[np.clip(grid_col, 0, 99)]
    code = np.asarray(code, dtype=object)
    desc = np.asarray("PRECINCT " + code, dtype=object)
    county_names = counties["county_desc"].to_numpy()[position]
    cell = grid_row * _CELLS_PER_ROW + grid_col
    for county in np.unique(county_names):
        names = geography.precinct_names.get(county)
        if not names:
            continue  # the county's grid codes stand; its voters take the route's fallback
        rows = np.flatnonzero(county_names == county)
        index = cell[rows] % len(names)
        code[rows] = [f"{i + 1:04d}" for i in index]
        desc[rows] = np.asarray(names, dtype=object)[index]
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
