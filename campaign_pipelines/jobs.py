"""Jobs: named selections of the asset graph that schedulers and the demo launch."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

voters_and_districts_job = define_asset_job(
    "voters_and_districts_job",
    selection=AssetSelection.assets("voters", "district_layers", "district_assignments"),
    description="Ingest the voter file and place every voter in their districts.",
)
