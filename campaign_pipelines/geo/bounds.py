"""The campaign state's bounding box, from its outline file (used to catch swapped lat/lon)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyogrio

from campaign_pipelines.config import CampaignConfig
from campaign_pipelines.config.loader import resolve_path

# About a kilometre: generalised outlines cut a little off the coast and the borders.
BOUNDS_MARGIN_DEGREES = 0.01


def state_bounds(config: CampaignConfig) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) in EPSG:4326 of the state outline, padded a little."""
    if config.districts.state_outline is None:
        raise ValueError(f"{config.source_path}: districts.state_outline is not set")
    return _bounds(resolve_path(config, config.districts.state_outline))


@lru_cache(maxsize=8)
def _bounds(path: Path) -> tuple[float, float, float, float]:
    info = pyogrio.read_info(path, force_total_bounds=True)
    crs = info.get("crs") or "EPSG:4326"
    if crs not in ("EPSG:4326", "OGC:CRS84"):
        raise ValueError(f"{path}: state outline must be in EPSG:4326, found {crs}")
    min_lon, min_lat, max_lon, max_lat = info["total_bounds"]
    m = BOUNDS_MARGIN_DEGREES
    return (min_lon - m, min_lat - m, max_lon + m, max_lat + m)
