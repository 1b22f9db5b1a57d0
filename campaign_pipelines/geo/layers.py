"""District layers read from the campaign's public polygon files, cleaned and measured.

``load_layer`` turns one configured layer (one or more shapefiles or GeoJSON files) into a
GeoDataFrame with one row per district: ``layer``, ``district_id``, ``name``, ``geometry``, in the
campaign's working CRS and sorted by ``district_id``. On the way it

- keeps only the rows matching the layer's ``filter`` (e.g. ``STATEFP == "37"``);
- builds ``district_id`` from the ``id_columns`` joined with ``-`` (``001-06W``), dropping leading
  zeros when the layer says its ids are numeric (``04`` -> ``4``);
- reprojects every file explicitly, refusing a file that does not declare its CRS;
- repairs invalid polygons with ``shapely.make_valid``, keeping only the polygonal parts;
- dissolves rows sharing a district id into one multipolygon.

Each repair and dissolve is reported on the returned ``LayerLoad``, with two measures of how well
the layer tiles the state: coverage (layer area / state outline area) and overlap (area covered
by more than one district / layer area). Areas are taken in an equal-area CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from campaign_pipelines.config import CampaignConfig, DistrictLayerConfig
from campaign_pipelines.config.loader import resolve_path

logger = logging.getLogger(__name__)

# CONUS Albers equal area: right for area ratios anywhere in the lower 48 states.
AREA_CRS = "EPSG:5070"
ID_SEPARATOR = "-"
LAYER_COLUMNS = ["layer", "district_id", "name", "geometry"]

# Summing and unioning areas of a clean tiling still leaves a relative difference near 1e-15.
_AREA_NOISE = 1e-12
_POLYGONAL_TYPES = (int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON))


class LayerError(ValueError):
    """A district layer file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class LayerRepair:
    """One district geometry that was changed or dropped while loading."""

    district_id: str
    source_file: Path
    problem: str
    action: str


@dataclass(frozen=True)
class DissolvedDistrict:
    """A district id that appeared on several rows, now one multipolygon."""

    district_id: str
    rows: int


@dataclass(frozen=True)
class LayerLoad:
    """One district layer, ready for the point-in-polygon join, with what loading it found."""

    name: str
    districts: gpd.GeoDataFrame
    vintage: str
    current: bool
    source_files: tuple[Path, ...]
    repairs: tuple[LayerRepair, ...]
    dissolved: tuple[DissolvedDistrict, ...]
    # Union area / state outline area; None when the config names no state outline.
    coverage_ratio: float | None
    # Area covered by more than one district (once per extra district) / union area.
    overlap_ratio: float


def load_layers(config: CampaignConfig) -> list[LayerLoad]:
    """Every district layer of the campaign, in config order."""
    return [load_layer(config, layer_cfg) for layer_cfg in config.districts.layers]


def load_layer(config: CampaignConfig, layer_cfg: DistrictLayerConfig) -> LayerLoad:
    """Read, filter, reproject, repair and dissolve one district layer, and measure it."""
    working_crs = config.districts.working_crs
    paths = tuple(resolve_path(config, raw) for raw in layer_cfg.files)
    logger.info("loading district layer %s from %d file(s)", layer_cfg.name, len(paths))

    parts = [_read_file(path, layer_cfg, working_crs) for path in paths]
    frame = pd.concat(parts, ignore_index=True)
    if frame.empty:
        raise LayerError(
            f"layer {layer_cfg.name!r}: no districts left in {[str(p) for p in paths]} "
            f"after the filter {layer_cfg.filter}"
        )
    frame, repairs = _repair(frame)
    frame, dissolved = _dissolve(frame)
    districts = gpd.GeoDataFrame(
        {"layer": layer_cfg.name, **{c: frame[c] for c in ("district_id", "name")}},
        geometry=frame["geometry"].to_numpy(),
        crs=working_crs,
    )[LAYER_COLUMNS]

    coverage, overlap = _coverage_and_overlap(districts, _outline_area(config))
    logger.info(
        "district layer %s: %d districts, %d repaired, %d dissolved, coverage %s, overlap %.2e",
        layer_cfg.name,
        len(districts),
        len(repairs),
        len(dissolved),
        "n/a" if coverage is None else f"{coverage:.4f}",
        overlap,
    )
    return LayerLoad(
        name=layer_cfg.name,
        districts=districts,
        vintage=layer_cfg.vintage,
        current=layer_cfg.current,
        source_files=paths,
        repairs=tuple(repairs),
        dissolved=tuple(dissolved),
        coverage_ratio=coverage,
        overlap_ratio=overlap,
    )


def _read_file(path: Path, layer_cfg: DistrictLayerConfig, working_crs: str) -> pd.DataFrame:
    """One file's rows as ``district_id``, ``name``, ``geometry`` (working CRS), ``source_file``."""
    if not path.is_file():
        raise LayerError(f"layer {layer_cfg.name!r}: file not found: {path}")
    uri = f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        raw = gpd.read_file(uri)
    except pyogrio.errors.DataSourceError as e:
        raise LayerError(f"layer {layer_cfg.name!r}: cannot read {path}: {e}") from e

    needed = [*layer_cfg.filter, *layer_cfg.id_columns]
    if layer_cfg.name_column:
        needed.append(layer_cfg.name_column)
    missing = [column for column in needed if column not in raw.columns]
    if missing:
        raise LayerError(
            f"{path}: column(s) {missing} named in layer {layer_cfg.name!r} are not in the file; "
            f"it has {[c for c in raw.columns if c != 'geometry']}"
        )
    if raw.crs is None:
        raise LayerError(
            f"{path}: the file declares no CRS (a shapefile needs its .prj); layer "
            f"{layer_cfg.name!r} cannot be brought to {working_crs} without one"
        )

    for column, value in layer_cfg.filter.items():
        raw = raw[_text(raw[column]) == value]
    raw = raw.to_crs(working_crs)
    district_ids = _district_ids(raw, layer_cfg, path)
    if layer_cfg.name_column:
        names = _text(raw[layer_cfg.name_column])
    else:
        names = layer_cfg.label + " " + district_ids
    return pd.DataFrame(
        {
            "district_id": district_ids.to_numpy(),
            "name": names.to_numpy(),
            "geometry": raw.geometry.to_numpy(),
            "source_file": path,
        }
    )


def _district_ids(raw: gpd.GeoDataFrame, layer_cfg: DistrictLayerConfig, path: Path) -> pd.Series:
    parts = []
    for column in layer_cfg.id_columns:
        values = _text(raw[column])
        blank = values[values == ""]
        if not blank.empty:
            raise LayerError(
                f"{path}: column {column!r} is empty on feature(s) {list(blank.index[:5])}; "
                f"every district of layer {layer_cfg.name!r} needs an id"
            )
        if layer_cfg.numeric_id:
            values = _strip_leading_zeros(values, column, path)
        parts.append(values)
    district_ids = parts[0]
    for values in parts[1:]:
        district_ids = district_ids + ID_SEPARATOR + values
    return district_ids


def _strip_leading_zeros(values: pd.Series, column: str, path: Path) -> pd.Series:
    not_numeric = values[~values.str.fullmatch(r"[0-9]+")]
    if not not_numeric.empty:
        raise LayerError(
            f"{path}: column {column!r} has non-numeric id {not_numeric.iloc[0]!r} on feature "
            f"{not_numeric.index[0]}, but the layer sets numeric_id: true"
        )
    return values.str.lstrip("0").replace("", "0")


def _text(values: pd.Series) -> pd.Series:
    """Column values as stripped text; missing values become ``""``."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        # Integer ids read from GeoJSON come back as floats when any value is missing.
        values = values.astype("Int64")
    return values.astype("string").fillna("").str.strip().astype(object)


def _repair(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[LayerRepair]]:
    """Make every geometry a valid (multi)polygon; drop rows with no area left."""
    geometries = frame["geometry"].to_numpy().copy()
    keep = np.ones(len(frame), dtype=bool)
    repairs = []
    for row in np.flatnonzero(~shapely.is_valid(geometries) | shapely.is_empty(geometries)):
        problem, repaired = _make_valid(geometries[row])
        geometries[row] = repaired
        keep[row] = repaired is not None
        action = "dropped: no polygonal area" if repaired is None else "made valid"
        repair = LayerRepair(
            district_id=frame["district_id"].iat[row],
            source_file=frame["source_file"].iat[row],
            problem=problem,
            action=action,
        )
        logger.warning(
            "district %s in %s: %s; %s",
            repair.district_id,
            repair.source_file.name,
            repair.problem,
            repair.action,
        )
        repairs.append(repair)

    polygonal = np.isin(shapely.get_type_id(geometries), _POLYGONAL_TYPES)
    not_polygonal = np.flatnonzero(keep & ~polygonal)
    if len(not_polygonal):
        row = not_polygonal[0]
        raise LayerError(
            f"{frame['source_file'].iat[row]}: district {frame['district_id'].iat[row]!r} is a "
            f"{geometries[row].geom_type}; district layers must be polygons"
        )
    return frame.assign(geometry=geometries)[keep].reset_index(drop=True), repairs


def _make_valid(geometry: shapely.Geometry | None) -> tuple[str, shapely.Geometry | None]:
    """What was wrong (``shapely.is_valid_reason``) and the polygonal part of the repair."""
    if geometry is None or geometry.is_empty:
        return "no geometry", None
    return shapely.is_valid_reason(geometry), _polygonal_part(shapely.make_valid(geometry))


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry | None:
    if shapely.get_type_id(geometry) in _POLYGONAL_TYPES:
        return geometry
    parts = shapely.get_parts(geometry)
    polygons = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL_TYPES)]
    if len(polygons) == 0:
        return None
    return shapely.union_all(polygons)


def _dissolve(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[DissolvedDistrict]]:
    """One row per district id, sorted by id; repeated ids become one multipolygon."""
    counts = frame["district_id"].value_counts()
    repeated = sorted(counts[counts > 1].index)
    dissolved = [DissolvedDistrict(district_id=i, rows=int(counts[i])) for i in repeated]
    for item in dissolved:
        logger.warning("district %s: %d rows dissolved into one", item.district_id, item.rows)

    rows = []
    for district_id, group in frame.groupby("district_id", sort=True):
        geometry = group["geometry"].iat[0]
        if len(group) > 1:
            geometry = _as_multipolygon(shapely.union_all(group["geometry"].to_numpy()))
        rows.append((district_id, group["name"].iat[0], geometry))
    return pd.DataFrame(rows, columns=["district_id", "name", "geometry"]), dissolved


def _as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    if geometry.geom_type == "MultiPolygon":
        return geometry
    return shapely.MultiPolygon([geometry])


def _coverage_and_overlap(
    districts: gpd.GeoDataFrame, outline_area: float | None
) -> tuple[float | None, float]:
    """Union area / outline area, and overlap area / union area.

    The overlap is the sum of the district areas minus the area of their union: zero for a clean
    tiling, and each patch counted once per extra district covering it. One union serves both.
    """
    geometries = districts.geometry.to_crs(AREA_CRS).to_numpy()
    union_area = float(shapely.union_all(geometries).area)
    overlap_area = float(shapely.area(geometries).sum()) - union_area
    overlap = overlap_area / union_area if union_area > 0 else 0.0
    if overlap < _AREA_NOISE:
        overlap = 0.0
    coverage = union_area / outline_area if outline_area else None
    return coverage, overlap


def _outline_area(config: CampaignConfig) -> float | None:
    if config.districts.state_outline is None:
        return None
    path = resolve_path(config, config.districts.state_outline)
    outline = gpd.read_file(path)
    if outline.crs is None:
        raise LayerError(f"{path}: the state outline declares no CRS")
    return float(outline.geometry.to_crs(AREA_CRS).area.sum())
