"""District layers: the real district polygons each voter is placed in."""

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.geo.layers import LayerError, LayerLoad, load_layers
from campaign_pipelines.geo.store import write_layers
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

MAX_OVERLAP = 0.001  # share of a layer's area that may lie under two of its districts

LAYER_CHECKS = [
    AssetCheckSpec("geometries_are_valid", asset="district_layers", blocking=True,
                   description="Every district polygon is valid after repair."),
    AssetCheckSpec("layers_cover_the_state", asset="district_layers",
                   description="Statewide layers cover the share of the state outline set in the "
                   "campaign config and overlap themselves on less than 0.1% of their area."),
]  # fmt: skip


@asset(
    group_name="districts",
    owners=OWNERS,
    kinds={"postgres", "geopandas"},
    check_specs=LAYER_CHECKS,
)
def district_layers(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """The district maps used to place voters: US House, state senate, state house, counties and
    precincts where published, each from a named public file with its vintage (whether the map
    is the one in force). All layers are kept in one coordinate system; broken polygons are
    repaired and the repair is listed here."""
    config = campaign.load()
    context.log.info("loading %d district layers", len(config.districts.layers))
    try:
        loads = load_layers(config)
    except LayerError as e:
        raise Failure(description=str(e)) from e

    rows = write_layers(postgres.engine(), loads)

    context.log.info("district layers: %d districts in %d layers", rows, len(loads))
    minimums = {cfg.name: cfg.min_coverage for cfg in config.districts.layers}
    return MaterializeResult(
        metadata=_metadata(loads, rows), check_results=_checks(loads, minimums)
    )


def _summary(loads: list[LayerLoad]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "layer": [ld.name for ld in loads],
            "districts": [len(ld.districts) for ld in loads],
            "vintage": [ld.vintage for ld in loads],
            "current": [ld.current for ld in loads],
            "coverage": [
                "-" if ld.coverage_ratio is None else f"{ld.coverage_ratio:.2%}" for ld in loads
            ],
            "overlap": [f"{ld.overlap_ratio:.4%}" for ld in loads],
            "repairs": [len(ld.repairs) for ld in loads],
        }
    )


def _metadata(loads: list[LayerLoad], rows: int) -> dict:
    repairs = [
        {"layer": ld.name, "district_id": r.district_id, "problem": r.problem, "action": r.action}
        for ld in loads
        for r in ld.repairs
    ]
    return {
        "dagster/row_count": MetadataValue.int(rows),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("layer", "text"),
                    TableColumn("district_id", "text"),
                    TableColumn("name", "text"),
                    TableColumn("vintage", "text"),
                    TableColumn("is_current", "boolean"),
                    TableColumn("repaired", "boolean"),
                    TableColumn("area_km2", "float"),
                    TableColumn("geometry_wkb", "bytea", description="EPSG:4326 polygon"),
                ]
            )
        ),
        "layers": MetadataValue.md(_summary(loads).to_markdown(index=False)),
        "repairs": MetadataValue.json(repairs),
    }


def _checks(loads: list[LayerLoad], minimums: dict[str, float | None]) -> list:
    invalid = [
        f"{ld.name}:{d}"
        for ld in loads
        for d, ok in zip(ld.districts["district_id"], ld.districts.geometry.is_valid, strict=True)
        if not ok
    ]
    statewide = [ld for ld in loads if minimums.get(ld.name) is not None]
    thin = [
        f"{ld.name} covers {ld.coverage_ratio or 0:.2%} (needs {minimums[ld.name]:.0%}), "
        f"overlaps {ld.overlap_ratio:.4%}"
        for ld in statewide
        if (ld.coverage_ratio or 0) < minimums[ld.name] or ld.overlap_ratio > MAX_OVERLAP
    ]
    repaired = sum(len(ld.repairs) for ld in loads)
    return [
        plain_result(
            "geometries_are_valid",
            not invalid,
            f"{len(invalid)} invalid polygons after {repaired} repairs",
            metadata={"sample_ids": MetadataValue.json(invalid[:5])},
        ),
        plain_result(
            "layers_cover_the_state",
            not thin,
            "; ".join(thin)
            or "; ".join(f"{ld.name} covers {ld.coverage_ratio or 0:.2%}" for ld in statewide)
            or "no statewide layer configured",
            severity=AssetCheckSeverity.WARN,
        ),
    ]
