"""Jobs: named selections of the asset graph that schedulers and the demo launch."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

voters_and_districts_job = define_asset_job(
    "voters_and_districts_job",
    selection=AssetSelection.assets("voters", "district_layers", "district_assignments"),
    description="Ingest the voter file and place every voter in their districts.",
)

routing_job = define_asset_job(
    "routing_job",
    selection=AssetSelection.assets("destination_catalog", "voter_routes"),
    description="Rebuild the destination catalog and each voter's destination per route.",
)

links_job = define_asset_job(
    "links_job",
    selection=AssetSelection.assets("links"),
    description="Mint (or reuse) one short link per voter and route for a wave.",
)

attribution_job = define_asset_job(
    "attribution_job",
    selection=AssetSelection.groups("attribution"),
    description="Ingest clicks and delivery reports, import actions, rebuild attribution and lift.",
)
