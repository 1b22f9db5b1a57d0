"""Benchmark: assign random North Carolina points to every district layer, three ways.

    python bench/district_assignment.py --voters 1000000

The points are uniform over the state outline (seeded). Every layer of the campaign config is
loaded through ``campaign_pipelines.geo.layers`` and the same points are assigned by

(a) ``campaign_pipelines.geo.assign.assign_all``, the product's code path;
(b) ``geopandas.sjoin(points, layer, predicate="within")``, in chunks of points;
(c) a reference scan: each polygon prepared, a bounding-box mask over all points, then
    ``shapely.contains_xy`` on the points in the box.

Speeds are point-in-layer assignments per second (points x layers / seconds), best of
``--repeat`` interleaved runs, with any prepared geometry dropped before each run so no method
inherits another's work. Peak RSS is read after (a) and at the end. The last line printed is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

from campaign_pipelines.config import CampaignConfig, load_config
from campaign_pipelines.config.loader import resolve_path
from campaign_pipelines.geo.assign import assign_all
from campaign_pipelines.geo.layers import LayerLoad, load_layers

SJOIN_CHUNK = 1_000_000
Assignments = dict[str, np.ndarray]


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    config = load_config(args.config)
    lon, lat = random_points_in_state(config, args.voters, seed=args.seed)
    layers = load_layers(config)
    districts = sum(len(load.districts) for load in layers)
    print(f"{args.voters:,} points, {len(layers)} layers, {districts} districts")

    methods: dict[str, Callable[[], Assignments]] = {
        "assign": lambda: assign_all(lon, lat, layers),
        "contains_xy": lambda: contains_xy_scan(lon, lat, layers),
        "sjoin": lambda: sjoin_within(lon, lat, layers),
    }
    seconds = {name: float("inf") for name in methods}
    results: dict[str, Assignments] = {}
    rss_after_assign = 0.0
    for _ in range(args.repeat):
        for name, run in methods.items():
            _forget_prepared(layers)
            results.pop(name, None)
            gc.collect()
            start = time.perf_counter()
            results[name] = run()
            seconds[name] = min(seconds[name], time.perf_counter() - start)
            if name == "assign" and not rss_after_assign:
                # The first run of (a) comes before the others: this peak is ours alone.
                rss_after_assign = _peak_rss_mb()

    lookups = args.voters * len(layers)
    speed = {name: lookups / s for name, s in seconds.items()}
    for name in methods:
        print(f"{name:>12}: {seconds[name]:8.3f} s  {speed[name]:14,.0f} points/s")
    mismatches = {
        name: _disagreements(lon, lat, layers, results["assign"], results[name])
        for name in ("contains_xy", "sjoin")
    }
    for name, counts in mismatches.items():
        print(
            f"assign vs {name}: {counts['differ']} point-layer result(s) differ, "
            f"{counts['off_boundary']} of them off boundaries and overlaps"
        )
    peak = _peak_rss_mb()
    print(f"peak RSS {rss_after_assign:,.0f} MB after assign, {peak:,.0f} MB at the end")

    figures = {
        "voters": args.voters,
        "layers": len(layers),
        "districts": districts,
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "seconds": {name: round(s, 4) for name, s in seconds.items()},
        "points_per_second": {name: round(v) for name, v in speed.items()},
        "ratio_vs_sjoin": round(speed["assign"] / speed["sjoin"], 2),
        "ratio_vs_contains_xy": round(speed["assign"] / speed["contains_xy"], 2),
        "disagreements": mismatches,
        "peak_rss_mb_after_assign": round(rss_after_assign),
        "peak_rss_mb": round(peak),
    }
    print(json.dumps(figures))
    if any(counts["off_boundary"] for counts in mismatches.values()):
        sys.exit(1)


def random_points_in_state(
    config: CampaignConfig, count: int, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points uniform over the state outline (EPSG:4326), by rejection sampling."""
    if config.districts.state_outline is None:
        raise SystemExit(f"{config.source_path}: districts.state_outline is needed for the points")
    outline_file = resolve_path(config, config.districts.state_outline)
    outline = shapely.union_all(gpd.read_file(outline_file).to_crs("EPSG:4326").geometry.array)
    shapely.prepare(outline)
    min_x, min_y, max_x, max_y = outline.bounds
    rng = np.random.default_rng(seed)
    lon, lat = np.empty(count), np.empty(count)
    filled = 0
    while filled < count:
        x = rng.uniform(min_x, max_x, SJOIN_CHUNK)
        y = rng.uniform(min_y, max_y, SJOIN_CHUNK)
        inside = shapely.contains_xy(outline, x, y)
        take = min(count - filled, int(inside.sum()))
        lon[filled : filled + take] = x[inside][:take]
        lat[filled : filled + take] = y[inside][:take]
        filled += take
    return lon, lat


def contains_xy_scan(lon: np.ndarray, lat: np.ndarray, layers: list[LayerLoad]) -> Assignments:
    """Reference: prepared polygons, a bounding-box mask per polygon, then ``contains_xy``."""
    out = {}
    for load in layers:
        geometries = np.asarray(load.districts.geometry.array)
        bounds = shapely.bounds(geometries)
        ids = np.full(len(lon), None, dtype=object)
        for polygon, district_id, (min_x, min_y, max_x, max_y) in zip(
            geometries, load.districts["district_id"], bounds, strict=True
        ):
            shapely.prepare(polygon)
            box = np.flatnonzero((lon >= min_x) & (lon <= max_x) & (lat >= min_y) & (lat <= max_y))
            ids[box[shapely.contains_xy(polygon, lon[box], lat[box])]] = district_id
        out[load.name] = ids
    return out


def sjoin_within(lon: np.ndarray, lat: np.ndarray, layers: list[LayerLoad]) -> Assignments:
    """``geopandas.sjoin`` with ``predicate="within"``; chunked so 5M points fit in memory."""
    out = {load.name: np.full(len(lon), None, dtype=object) for load in layers}
    for start in range(0, len(lon), SJOIN_CHUNK):
        chunk = slice(start, start + SJOIN_CHUNK)
        points = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(lon[chunk], lat[chunk]), crs="EPSG:4326"
        )
        for load in layers:
            joined = gpd.sjoin(
                points, load.districts[["district_id", "geometry"]], "inner", "within"
            )
            joined = joined[~joined.index.duplicated(keep="first")]
            out[load.name][start + joined.index.to_numpy()] = joined["district_id"].to_numpy()
    return out


def _disagreements(
    lon: np.ndarray,
    lat: np.ndarray,
    layers: list[LayerLoad],
    ours: Assignments,
    theirs: Assignments,
) -> dict[str, int]:
    """Results that differ, and those of them inside exactly one polygon, off its edges.

    The reference methods test interiors only and let the last (or an arbitrary) polygon win, so
    they may rightly differ from our rule on boundaries and in overlaps; nowhere else.
    """
    counts = {"differ": 0, "off_boundary": 0}
    for load in layers:
        differ = np.flatnonzero(ours[load.name] != theirs[load.name])
        counts["differ"] += len(differ)
        if len(differ) == 0:
            continue
        x, y = lon[differ], lat[differ]
        geometries = np.asarray(load.districts.geometry.array)
        covering = np.zeros(len(differ), dtype=np.int64)
        on_edge = np.zeros(len(differ), dtype=bool)
        for polygon in geometries:
            covering += shapely.intersects_xy(polygon, x, y)
            on_edge |= shapely.intersects_xy(polygon.boundary, x, y)
        counts["off_boundary"] += int(np.sum((covering == 1) & ~on_edge))
    return counts


def _forget_prepared(layers: list[LayerLoad]) -> None:
    for load in layers:
        shapely.destroy_prepared(np.asarray(load.districts.geometry.array))


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000, help="points to assign")
    parser.add_argument("--seed", type=int, default=20260101, help="random seed for the points")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; the best counts")
    parser.add_argument("--config", default=None, help="campaign config (default: the demo)")
    args = parser.parse_args(argv)
    if args.voters < 1 or args.repeat < 1:
        parser.error("--voters and --repeat must be positive")
    return args


if __name__ == "__main__":
    main()
