"""Which district each voter's point falls in: the vectorised point-in-polygon join.

``assign(lon, lat, layer)`` gives, for each point, the ``district_id`` of the layer polygon it
falls in, or None; ``assign_all`` does it for every loaded layer. Coordinates are longitude and
latitude in EPSG:4326, which must also be the layer's CRS.

Boundary rule
-------------
Every point gets exactly one district or None, never two:

1. if the point is inside one or more polygons (in their interior), the smallest ``district_id``
   among them;
2. else, if it is on the boundary (an edge or a vertex) of one or more polygons, the smallest
   ``district_id`` among those;
3. else, or when a coordinate is missing (NaN or infinite), None.

"Smallest" is plain string order: ``"10"`` sorts before ``"9"``, ``"001-06W"`` before
``"001-07"``. In a layer without overlaps no point is inside two polygons, so the rule reads: among
the polygons that cover the point, the smallest district id. A point on the edge shared by
districts ``"3"`` and ``"4"`` belongs to ``"3"``; a point where ``"1"``, ``"2"``, ``"3"`` and
``"4"`` meet belongs to ``"1"``.

How it is fast
--------------
The exact test visits the polygons in id order. Points are sorted by longitude once, so a
binary search finds each polygon's bounding-box candidates; a prepared ``contains_xy`` settles the
interior points, and a second pass with ``intersects_xy`` over the points still unassigned
catches the boundary ones. For large batches a grid over the layer settles most points with no
polygon test at all: a cell that no polygon edge crosses lies wholly inside one district (or
outside all of them), which the exact test on its centre tells once for the whole cell; only
points in cells an edge crosses go to the exact test. Points are handled in chunks to bound
memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

if TYPE_CHECKING:
    from campaign_pipelines.geo.layers import LayerLoad

POINT_CRS = "EPSG:4326"
CHUNK_POINTS = 1_000_000
# Below this many points, building the grid costs more than it saves.
GRID_MIN_POINTS = 100_000
# Finer grids leave fewer points for the exact test but take longer to build. On the North
# Carolina layers, one cell per two points did best, with no gain beyond 2**19 cells.
_POINTS_PER_CELL = 2
_GRID_MIN_CELLS = 1 << 12
_GRID_MAX_CELLS = 1 << 19

# Widening of rounded edge points, in cells, and at least 1e-9 degree (0.1 mm).
_HAIR = 1e-6
_MIN_HAIR_DEGREES = 1e-9

_NONE = -1
_UNSETTLED = -2


def assign(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    layer: gpd.GeoDataFrame,
    *,
    chunk_size: int = CHUNK_POINTS,
) -> np.ndarray:
    """The ``district_id`` (object array of str or None) of each point, by the boundary rule."""
    lon, lat = _coordinates(lon, lat)
    polygons = _prepare(layer)
    codes = np.full(len(lon), _NONE, dtype=np.int32)
    if len(polygons.geometries) == 0:
        return polygons.ids[codes]

    grid = _build_grid(polygons, len(lon)) if len(lon) >= GRID_MIN_POINTS else None
    for start in range(0, len(lon), chunk_size):
        chunk = slice(start, start + chunk_size)
        codes[chunk] = _chunk_codes(polygons, grid, lon[chunk], lat[chunk])
    return polygons.ids[codes]


def assign_all(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    layers: Iterable[LayerLoad],
    *,
    chunk_size: int = CHUNK_POINTS,
) -> dict[str, np.ndarray]:
    """``assign`` for every layer: layer name -> district ids of the points."""
    lon, lat = _coordinates(lon, lat)
    return {load.name: assign(lon, lat, load.districts, chunk_size=chunk_size) for load in layers}


@dataclass(frozen=True)
class _Polygons:
    """A layer's polygons, prepared, in district id order; polygon k has code k."""

    # ids[k] is polygon k's district id; ids[-1] is None, so ids[codes] maps _NONE to None.
    ids: np.ndarray
    geometries: np.ndarray
    bounds: np.ndarray


@dataclass(frozen=True)
class _Grid:
    """Equal cells over the layer's bounding box; ``owner`` holds a code per cell."""

    min_x: float
    min_y: float
    max_x: float
    max_y: float
    cell_width: float
    cell_height: float
    owner: np.ndarray

    def columns(self, x: np.ndarray) -> np.ndarray:
        # Truncating and clipping are monotone, so the points of a segment fall in cells between
        # the cells of its ends: the property the edge marking relies on.
        column = ((x - self.min_x) / self.cell_width).astype(np.intp)
        return np.clip(column, 0, self.owner.shape[1] - 1)

    def rows(self, y: np.ndarray) -> np.ndarray:
        row = ((y - self.min_y) / self.cell_height).astype(np.intp)
        return np.clip(row, 0, self.owner.shape[0] - 1)


def _coordinates(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if lon.ndim != 1 or lon.shape != lat.shape:
        raise ValueError(
            f"lon and lat must be 1-D arrays of the same length; got shapes {lon.shape} and "
            f"{lat.shape}"
        )
    return lon, lat


def _prepare(layer: gpd.GeoDataFrame) -> _Polygons:
    if "district_id" not in layer.columns:
        raise ValueError(f"the layer has no district_id column; it has {list(layer.columns)}")
    if layer.crs is not None and layer.crs != POINT_CRS:
        raise ValueError(
            f"the layer is in {layer.crs.to_string()}, but points are longitude/latitude in "
            f"{POINT_CRS}; reproject the layer first (load_layer does)"
        )
    geometries = np.asarray(layer.geometry.array, dtype=object)
    ids = layer["district_id"].astype(str).to_numpy(dtype=object)
    usable = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    order = np.flatnonzero(usable)[np.argsort(ids[usable], kind="stable")]
    geometries = geometries[order]
    shapely.prepare(geometries)
    return _Polygons(
        ids=np.append(ids[order], None),
        geometries=geometries,
        bounds=shapely.bounds(geometries).reshape(-1, 4),
    )


def _chunk_codes(
    polygons: _Polygons, grid: _Grid | None, lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    codes = np.full(len(lon), _NONE, dtype=np.int32)
    known = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    x, y = lon[known], lat[known]
    if grid is None:
        codes[known] = _exact_codes(polygons, x, y)
        return codes

    settled = _grid_codes(grid, x, y)
    unsettled = np.flatnonzero(settled == _UNSETTLED)
    settled[unsettled] = _exact_codes(polygons, x[unsettled], y[unsettled])
    codes[known] = settled
    return codes


def _exact_codes(polygons: _Polygons, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Polygon code of each point by the boundary rule; ``_NONE`` outside every polygon."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    codes = np.full(len(xs), _NONE, dtype=np.int32)
    first = np.searchsorted(xs, polygons.bounds[:, 0], side="left")
    last = np.searchsorted(xs, polygons.bounds[:, 2], side="right")

    # Interior first, then boundary; polygons in id order, and a settled point is never
    # revisited, so the smallest id wins at each step.
    for predicate in (shapely.contains_xy, shapely.intersects_xy):
        for code, geometry in enumerate(polygons.geometries):
            lo, hi = first[code], last[code]
            _, min_y, _, max_y = polygons.bounds[code]
            window = ys[lo:hi]
            open_in_box = (codes[lo:hi] == _NONE) & (window >= min_y) & (window <= max_y)
            candidates = lo + np.flatnonzero(open_in_box)
            if len(candidates):
                hits = predicate(geometry, xs[candidates], ys[candidates])
                codes[candidates[hits]] = code

    result = np.empty_like(codes)
    result[order] = codes
    return result


def _grid_codes(grid: _Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cell owner of each point: a code, ``_NONE``, or ``_UNSETTLED`` in crossed cells."""
    codes = np.full(len(x), _NONE, dtype=np.int32)
    inside = np.flatnonzero(
        (x >= grid.min_x) & (x <= grid.max_x) & (y >= grid.min_y) & (y <= grid.max_y)
    )
    codes[inside] = grid.owner[grid.rows(y[inside]), grid.columns(x[inside])]
    return codes


def _build_grid(polygons: _Polygons, point_count: int) -> _Grid | None:
    min_x, min_y = polygons.bounds[:, :2].min(axis=0)
    max_x, max_y = polygons.bounds[:, 2:].max(axis=0)
    span_x, span_y = max_x - min_x, max_y - min_y
    if not (span_x > 0 and span_y > 0):
        return None

    cells = min(_GRID_MAX_CELLS, max(_GRID_MIN_CELLS, point_count // _POINTS_PER_CELL))
    columns = max(1, round((cells * span_x / span_y) ** 0.5))
    rows = max(1, round(cells / columns))
    grid = _Grid(
        min_x=float(min_x),
        min_y=float(min_y),
        max_x=float(max_x),
        max_y=float(max_y),
        cell_width=float(span_x / columns),
        cell_height=float(span_y / rows),
        owner=np.full((rows, columns), _UNSETTLED, dtype=np.int32),
    )

    # Cells in a row between two crossed cells form one edge-free strip with a single owner, so
    # only the first cell of each strip is tested.
    free = ~_crossed_cells(grid, polygons.geometries)
    strip_start = free.copy()
    strip_start[:, 1:] &= ~free[:, :-1]
    row, column = np.nonzero(strip_start)
    centre_x = grid.min_x + (column + 0.5) * grid.cell_width
    centre_y = grid.min_y + (row + 0.5) * grid.cell_height
    # A centre rounded into the next cell would speak for the wrong cell: leave those unsettled.
    own = (grid.columns(centre_x) == column) & (grid.rows(centre_y) == row)
    strip_owner = np.full(len(row), _UNSETTLED, dtype=np.int32)
    strip_owner[own] = _exact_codes(polygons, centre_x[own], centre_y[own])
    strip = np.cumsum(strip_start).reshape(free.shape) - 1
    grid.owner[free] = strip_owner[strip[free]]
    return grid


def _crossed_cells(grid: _Grid, geometries: np.ndarray) -> np.ndarray:
    """Cells that some polygon edge touches (a superset: marking extra cells is only slower)."""
    crossed = np.zeros(grid.owner.shape, dtype=bool)
    rings = shapely.get_rings(shapely.get_parts(geometries))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    column, row = grid.columns(coords[:, 0]), grid.rows(coords[:, 1])
    crossed[row, column] = True

    # Edge k runs from vertex k to vertex k + 1. An edge whose ends are in the same or
    # neighbouring cells stays in their 2 x 2 block: only diagonal steps add cells.
    edge = np.flatnonzero(ring[1:] == ring[:-1])
    step_column = np.abs(column[edge + 1] - column[edge])
    step_row = np.abs(row[edge + 1] - row[edge])
    diagonal = edge[(step_column == 1) & (step_row == 1)]
    crossed[row[diagonal], column[diagonal + 1]] = True
    crossed[row[diagonal + 1], column[diagonal]] = True

    long = (step_column > 1) | (step_row > 1)
    steps = np.maximum(step_column[long], step_row[long]) + 2
    _mark_long_edges(crossed, grid, coords[edge[long]], coords[edge[long] + 1], steps)
    return crossed


def _mark_long_edges(
    crossed: np.ndarray, grid: _Grid, start: np.ndarray, end: np.ndarray, steps: np.ndarray
) -> None:
    """Walk each edge in ``steps`` pieces shorter than a cell, marking each piece's cells.

    A piece spans at most 3 x 3 cells. Its end points are rounded, so each is widened by a hair,
    far more than rounding can move it and far less than a cell.
    """
    edge = np.repeat(np.arange(len(steps)), steps + 1)
    step = np.arange(len(edge)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    t = (step / steps[edge])[:, None]
    walk = start[edge] + (end[edge] - start[edge]) * t
    hair_x = max(_HAIR * grid.cell_width, _MIN_HAIR_DEGREES)
    hair_y = max(_HAIR * grid.cell_height, _MIN_HAIR_DEGREES)
    low_c, high_c = grid.columns(walk[:, 0] - hair_x), grid.columns(walk[:, 0] + hair_x)
    low_r, high_r = grid.rows(walk[:, 1] - hair_y), grid.rows(walk[:, 1] + hair_y)

    a = np.flatnonzero(step < steps[edge])
    b = a + 1
    c_low, c_high = np.minimum(low_c[a], low_c[b]), np.maximum(high_c[a], high_c[b])
    r_low, r_high = np.minimum(low_r[a], low_r[b]), np.maximum(high_r[a], high_r[b])
    for d_column in range(3):
        for d_row in range(3):
            crossed[np.minimum(r_low + d_row, r_high), np.minimum(c_low + d_column, c_high)] = True
