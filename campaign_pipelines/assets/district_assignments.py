"""District assignments: each voter's district in every layer, spatially verified."""

import pandas as pd
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import delete, text

from campaign_pipelines.assets._checks import OWNERS, check_result, plain_result
from campaign_pipelines.config.models import FILE_DISTRICT_FIELDS
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import district_assignments as assignments_table
from campaign_pipelines.db.session import transaction
from campaign_pipelines.geo.assignments import agreement_rate, assign_layer
from campaign_pipelines.geo.store import read_layers
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

CHUNK_VOTERS = 250_000
MIN_ASSIGNED_RATE = 0.999  # statewide layers: voters with a district (spatial or from the file)

ASSIGNMENT_CHECKS = [
    AssetCheckSpec("one_district_per_voter_per_layer", asset="district_assignments",
                   blocking=True, description="Every voter has exactly one row in every layer."),
    AssetCheckSpec("voters_have_a_district", asset="district_assignments", blocking=True,
                   description="In statewide layers, at least 99.9% of voters have a district "
                   "(from their coordinates or, failing that, their voter-file code)."),
    AssetCheckSpec("districts_agree_with_voter_file", asset="district_assignments",
                   description="Where both exist, the polygon district matches the voter file's "
                   "own code at least as often as the configured agreement rate."),
]  # fmt: skip

_VOTER_QUERY = text(
    f"SELECT voter_id, latitude, longitude, {', '.join(FILE_DISTRICT_FIELDS)}"
    " FROM voters ORDER BY voter_id"
)


@asset(
    deps=["voters", "district_layers"],
    group_name="districts",
    owners=OWNERS,
    kinds={"postgres", "geopandas"},
    check_specs=ASSIGNMENT_CHECKS,
)
def district_assignments(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Which district each voter lives in, for every district layer: found from the voter's home
    coordinates; voters without coordinates (or outside the map) fall back to the district code
    in the voter file and are marked as not geo-verified, so nobody is dropped. Routing, texting
    and attribution by district all read from this table."""
    config = campaign.load()
    engine = postgres.engine()
    layers = read_layers(engine)
    wanted = [cfg for cfg in config.districts.layers if cfg.name in layers]
    context.log.info("assigning voters to %d layers", len(wanted))

    parts: list[pd.DataFrame] = []
    with transaction(engine) as conn:
        conn.execute(delete(assignments_table))
        for chunk in pd.read_sql(_VOTER_QUERY, conn, chunksize=CHUNK_VOTERS):
            for cfg in wanted:
                assigned = assign_layer(chunk, cfg, layers[cfg.name])
                copy_dataframe(conn, "district_assignments", assigned)
                parts.append(assigned.drop(columns=["file_district_id"]))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    voters_count = int(frame["voter_id"].nunique()) if len(frame) else 0

    summary = _summary(frame, config)
    context.log.info(
        "district assignments: %d voters x %d layers = %d rows",
        voters_count,
        len(wanted),
        len(frame),
    )
    return MaterializeResult(
        metadata=_metadata(frame, summary),
        check_results=_checks(frame, summary, voters_count, len(wanted), config),
    )


def _summary(frame: pd.DataFrame, config) -> pd.DataFrame:
    rows = []
    for cfg in config.districts.layers:
        part = frame[frame["layer"] == cfg.name]
        if part.empty:
            continue
        rate, compared = agreement_rate(part)
        counts = part["method"].value_counts()
        rows.append(
            {
                "layer": cfg.name,
                "spatial": int(counts.get("spatial", 0)),
                "voter_file": int(counts.get("voter_file", 0)),
                "none": int(counts.get("none", 0)),
                "agreement": rate,
                "compared": compared,
            }
        )
    return pd.DataFrame(rows)


def _metadata(frame: pd.DataFrame, summary: pd.DataFrame) -> dict:
    shown = summary.assign(agreement=summary["agreement"].map("{:.2%}".format))
    return {
        "dagster/row_count": MetadataValue.int(len(frame)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("voter_id", "text"),
                    TableColumn("layer", "text"),
                    TableColumn("district_id", "text"),
                    TableColumn("method", "text", description="spatial | voter_file | none"),
                    TableColumn("geo_verified", "boolean"),
                    TableColumn("file_district_id", "text"),
                    TableColumn("agrees", "boolean"),
                ]
            )
        ),
        "by_layer": MetadataValue.md(shown.to_markdown(index=False)),
        "agreement_by_layer": MetadataValue.json(
            {r.layer: round(r.agreement, 6) for r in summary.itertuples()}
        ),
    }


def _checks(frame, summary, voters_count, layer_count, config) -> list:
    statewide = {"congressional", "state_senate", "state_house", "county"}
    in_statewide = frame[frame["layer"].isin(statewide)]
    has_district = in_statewide.assign(assigned=in_statewide["method"] != "none")
    min_rate = config.districts.min_agreement_rate
    low = summary[summary["agreement"] < min_rate]
    expected_rows = voters_count * layer_count
    unique = run_expectation(
        frame, gxe.ExpectCompoundColumnsToBeUnique(column_list=["voter_id", "layer"])
    )
    return [
        plain_result(
            "one_district_per_voter_per_layer",
            unique.success and len(frame) == expected_rows,
            f"{len(frame):,} rows for {voters_count:,} voters x {layer_count} layers "
            f"(expected {expected_rows:,}); {unique.unexpected:,} duplicated (voter, layer) pairs",
        ),
        check_result(
            "voters_have_a_district",
            run_expectation(
                has_district.reset_index(drop=True),
                gxe.ExpectColumnValuesToBeInSet(
                    column="assigned", value_set=[True], mostly=MIN_ASSIGNED_RATE
                ),
                id_column="voter_id",
            ),
            "voters with a district in statewide layers",
        ),
        plain_result(
            "districts_agree_with_voter_file",
            low.empty,
            "; ".join(
                f"{r.layer}: {r.agreement:.2%} of {r.compared:,}" for r in summary.itertuples()
            )
            + f" (threshold {min_rate:.0%})",
            metadata={"below_threshold": MetadataValue.json(low["layer"].tolist())},
        ),
    ]
