"""Voters: the campaign's voter file, read exactly and cleaned into one row per voter."""

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import text

from campaign_pipelines.assets._checks import OWNERS, check_result, plain_result
from campaign_pipelines.geo.bounds import state_bounds
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.voterfile.normalise import VOTER_COLUMNS, normalise
from campaign_pipelines.voterfile.phones import E164_PATTERN
from campaign_pipelines.voterfile.read import VoterFileError, open_voter_file
from campaign_pipelines.voterfile.store import store_load

MAX_QUARANTINE_RATE = 0.05
MIN_INSIDE_BOUNDS_RATE = 0.99

voter_file = AssetSpec(
    "voter_file",
    group_name="voters",
    owners=OWNERS,
    kinds={"file"},
    description=(
        "The voter file as delivered (state NCSBE export or a vendor CSV), named in the campaign "
        "config. It is read, never modified."
    ),
)

VOTER_CHECKS = [
    AssetCheckSpec("voter_ids_are_unique", asset="voters", blocking=True,
                   description="Each voter id appears once duplicates are resolved."),
    AssetCheckSpec("phones_are_e164", asset="voters", blocking=True,
                   description="Every phone number kept is in E.164 form (+1NXXNXXXXXX)."),
    AssetCheckSpec("coordinates_inside_state_bounds", asset="voters", blocking=True,
                   description="Voter coordinates fall inside the campaign state's bounding box "
                   "(catches swapped latitude/longitude)."),
    AssetCheckSpec("rows_are_all_accounted_for", asset="voters", blocking=True,
                   description="Rows read = rows accepted + rows quarantined."),
    AssetCheckSpec("quarantine_rate_is_low", asset="voters",
                   description=f"At most {MAX_QUARANTINE_RATE:.0%} of rows are quarantined."),
]  # fmt: skip


@asset(
    deps=[voter_file],
    group_name="voters",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=VOTER_CHECKS,
    tags={"pii": "true"},
)
def voters(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Everyone the campaign may contact: one row per registered voter with a normalised phone
    (E.164), ZIP and precinct codes kept as text, SMS consent, home coordinates and the district
    codes the voter file itself carries. Rows that cannot be used are kept in
    `voter_quarantine` with the file row, field and reason; none are dropped."""
    config = campaign.load()
    path = campaign.resolve(config, config.voter_file.path)
    context.log.info("reading voter file %s (format %s)", path.name, config.voter_file.format)
    try:
        fmt, records = open_voter_file(
            path, encoding=config.voter_file.encoding, delimiter=config.voter_file.delimiter
        )
        result = normalise(records, fmt, config.voter_file, str(path))
    except VoterFileError as e:
        raise Failure(description=str(e)) from e

    if len(result.voters) == 0:
        raise Failure(
            description=f"{path}: no usable voter rows ({result.rows_read:,} read, "
            f"{len(result.quarantine):,} quarantined); the voters table keeps its previous load"
        )
    checks = _checks(result, state_bounds(config))
    failed = [c.check_name for c in checks if _blocks(c)]
    load_id = store_load(
        postgres.engine(),
        source=path,
        fmt=fmt,
        file_format=config.voter_file.format,
        result=result,
        replace_voters=not failed,
    )
    context.log.info(
        "voters load %d: %d rows read, %d accepted, %d quarantined",
        load_id, result.rows_read, len(result.voters), len(result.quarantine),
    )  # fmt: skip
    metadata = _metadata(load_id, fmt, result)
    metadata["applied"] = MetadataValue.bool(not failed)
    if failed:
        with postgres.engine().connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM voters")).scalar_one()
        metadata["dagster/row_count"] = MetadataValue.int(int(kept))
        # A blocking check stops the steps downstream but would not undo this step's own write:
        # so a load that fails one never replaces the table the rest of the campaign reads.
        context.log.warning(
            "voters load %d not applied (blocking checks failed: %s); the voters table keeps "
            "its previous load",
            load_id,
            ", ".join(failed),
        )
    return MaterializeResult(metadata=metadata, check_results=checks)


def _blocks(check) -> bool:
    return not check.passed and check.severity == AssetCheckSeverity.ERROR


def _metadata(load_id, fmt, result) -> dict:
    frame = result.voters
    by_reason = pd.DataFrame(
        sorted(result.reasons.items(), key=lambda kv: -kv[1]), columns=["reason", "rows"]
    )
    return {
        "dagster/row_count": MetadataValue.int(len(frame)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(c, "text") for c in ("load_id", *VOTER_COLUMNS)])
        ),
        "load_id": MetadataValue.int(load_id),
        "rows_read": MetadataValue.int(result.rows_read),
        "rows_accepted": MetadataValue.int(len(frame)),
        "rows_quarantined": MetadataValue.int(len(result.quarantine)),
        "quarantined_by_reason": MetadataValue.md(
            by_reason.to_markdown(index=False) if len(by_reason) else "none"
        ),
        "encoding": fmt.encoding,
        "delimiter": repr(fmt.delimiter),
        "file_sha256": fmt.sha256,
        "with_phone": MetadataValue.int(int(frame["phone_e164"].notna().sum())),
        "with_sms_consent": MetadataValue.int(int((frame["sms_opt_in"] == True).sum())),  # noqa: E712
        "with_coordinates": MetadataValue.int(int(frame["latitude"].notna().sum())),
    }


def _checks(result, bounds) -> list:
    frame = result.voters
    min_lon, min_lat, max_lon, max_lat = bounds
    located = frame.loc[frame["latitude"].notna(), ["voter_id", "latitude", "longitude"]]
    inside = located.assign(
        inside=located["latitude"].between(min_lat, max_lat)
        & located["longitude"].between(min_lon, max_lon)
    ).reset_index(drop=True)
    read, kept, held = result.rows_read, len(frame), len(result.quarantine)
    rate = held / read if read else 0.0
    return [
        check_result(
            "voter_ids_are_unique",
            run_expectation(frame, gxe.ExpectColumnValuesToBeUnique(column="voter_id")),
            "voter ids unique",
        ),
        check_result(
            "phones_are_e164",
            run_expectation(
                frame,
                gxe.ExpectColumnValuesToMatchRegex(column="phone_e164", regex=E164_PATTERN),
                id_column="voter_id",
            ),
            "phones in E.164",
        ),
        check_result(
            "coordinates_inside_state_bounds",
            run_expectation(
                inside,
                gxe.ExpectColumnValuesToBeInSet(
                    column="inside", value_set=[True], mostly=MIN_INSIDE_BOUNDS_RATE
                ),
                id_column="voter_id",
            ),
            "coordinates inside the state's bounds",
        ),
        plain_result(
            "rows_are_all_accounted_for",
            read == kept + held,
            f"{read:,} rows read = {kept:,} accepted + {held:,} quarantined",
        ),
        plain_result(
            "quarantine_rate_is_low",
            rate <= MAX_QUARANTINE_RATE,
            f"{rate:.2%} of rows quarantined (threshold {MAX_QUARANTINE_RATE:.0%})",
            severity=AssetCheckSeverity.WARN,
            metadata={"by_reason": MetadataValue.json(result.reasons)},
        ),
    ]
