"""Each voter's district in every layer, with a fallback and flags (never dropped).

For each voter and layer: the district whose polygon holds the voter's coordinates
(``method='spatial'``, geo-verified). A voter without coordinates, or whose point falls outside
every polygon of the layer, falls back to the district code the voter file carries
(``method='voter_file'``, not geo-verified) or, failing that, has no district (``method='none'``).
Where both exist, ``agrees`` says whether the polygon and the file agree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from campaign_pipelines.config import DistrictLayerConfig
from campaign_pipelines.geo.assign import assign

ASSIGNMENT_COLUMNS = [
    "voter_id", "layer", "district_id", "method", "geo_verified", "file_district_id", "agrees",
]  # fmt: skip


def assign_layer(
    voters: pd.DataFrame, layer_cfg: DistrictLayerConfig, districts: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Assignments of ``voters`` (voter_id, latitude, longitude, file fields) to one layer."""
    lon = voters["longitude"].to_numpy(dtype=float)
    lat = voters["latitude"].to_numpy(dtype=float)
    spatial = pd.Series(assign(lon, lat, districts), index=voters.index, dtype=object)
    field = layer_cfg.voter_file_field
    from_file = voters[field] if field and field in voters else pd.Series(None, index=voters.index)
    from_file = from_file.astype(object).where(from_file.notna(), None)

    has_spatial = spatial.notna()
    has_file = from_file.notna()
    method = np.where(has_spatial, "spatial", np.where(has_file, "voter_file", "none"))
    agrees = (spatial == from_file).astype(object).where(has_spatial & has_file, None)
    return pd.DataFrame(
        {
            "voter_id": voters["voter_id"].to_numpy(),
            "layer": layer_cfg.name,
            "district_id": spatial.where(has_spatial, from_file).to_numpy(),
            "method": method,
            "geo_verified": has_spatial.to_numpy(),
            "file_district_id": from_file.to_numpy(),
            "agrees": agrees.to_numpy(),
        }
    )


def agreement_rate(assignments: pd.DataFrame) -> tuple[float, int]:
    """Share of comparable voters whose polygon matches the file's code, and how many compared."""
    compared = assignments["agrees"].dropna()
    if compared.empty:
        return 1.0, 0
    return float(compared.astype(bool).mean()), len(compared)
