"""District layers in the warehouse: geometry kept as WKB in EPSG:4326."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, delete, select

from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import district_layers
from campaign_pipelines.db.session import transaction
from campaign_pipelines.geo.layers import LayerLoad

STORAGE_CRS = "EPSG:4326"
_AREA_CRS = "EPSG:5070"  # CONUS Albers equal-area, for km²


def write_layers(engine: Engine, loads: list[LayerLoad]) -> int:
    frames = []
    for load in loads:
        districts = load.districts.to_crs(STORAGE_CRS)
        repaired = {r.district_id for r in load.repairs}
        frames.append(
            pd.DataFrame(
                {
                    "layer": load.name,
                    "district_id": districts["district_id"].to_numpy(),
                    "name": districts["name"].to_numpy(),
                    "vintage": load.vintage,
                    "is_current": load.current,
                    "source_files": "{" + ",".join(f'"{p.name}"' for p in load.source_files) + "}",
                    "repaired": districts["district_id"].isin(repaired).to_numpy(),
                    "area_km2": (load.districts.to_crs(_AREA_CRS).area / 1e6).round(3).to_numpy(),
                    "geometry_wkb": [
                        "\\x" + w for w in shapely.to_wkb(districts.geometry, hex=True)
                    ],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    with transaction(engine) as conn:
        conn.execute(delete(district_layers))
        copy_dataframe(conn, "district_layers", table)
    return len(table)


def read_layers(engine: Engine) -> dict[str, gpd.GeoDataFrame]:
    """Each stored layer as a GeoDataFrame (district_id, name, geometry) in EPSG:4326."""
    t = district_layers
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.layer, t.c.district_id, t.c.name, t.c.geometry_wkb).order_by(
                t.c.layer, t.c.district_id
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["layer", "district_id", "name", "wkb"])
    geometry = shapely.from_wkb([bytes(w) for w in frame["wkb"]])
    gdf = gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=geometry, crs=STORAGE_CRS)
    return {
        name: part.drop(columns="layer").reset_index(drop=True)
        for name, part in gdf.groupby("layer", sort=True)
    }
