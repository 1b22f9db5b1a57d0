"""Suppression list: every number the campaign must not text, whatever wave comes next."""

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
from sqlalchemy import text

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.db.session import transaction
from campaign_pipelines.messaging.suppression import rebuild
from campaign_pipelines.messaging.suppression_import import (
    ImportedNumbers,
    SuppressionFileError,
    read_suppression_file,
)
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.voterfile.phones import E164_PATTERN

SUPPRESSION_CHECKS = [
    AssetCheckSpec("suppressed_numbers_are_e164", asset="suppression_list", blocking=True,
                   description="Every suppressed number is in E.164 form, so it can match the "
                   "numbers the campaign texts."),
    AssetCheckSpec("suppression_files_are_fully_read", asset="suppression_list",
                   description="Every row of every imported opt-out or line-type file held a "
                   "usable phone number."),
]  # fmt: skip


@asset(
    group_name="waves",
    owners=OWNERS,
    kinds={"postgres"},
    check_specs=SUPPRESSION_CHECKS,
    tags={"pii": "true"},
)
def suppression_list(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Every phone number the campaign must not text, with the strongest reason: voters who
    replied STOP (stored by the link server), numbers Twilio refused as unsubscribed (21610),
    as landlines (21614) or as invalid (21211), landlines reported by carriers (30006), and the
    opt-out and line-type files imported from other texting tools. Rebuilt before every wave,
    so a voter who texts START again is no longer on it."""
    config = campaign.load()
    files = config.messaging.suppression_files
    context.log.info("building the suppression list with %d imported file(s)", len(files))
    try:
        imports = [
            read_suppression_file(
                campaign.resolve(config, f.path), source=f.source, phone_column=f.phone_column,
                reason=f.reason, region=config.voter_file.phone_region,
            )
            for f in files
        ]  # fmt: skip
    except SuppressionFileError as e:
        raise Failure(description=str(e)) from e
    imported = _imported(imports)

    with transaction(postgres.engine()) as conn:
        counts = rebuild(conn, imported)
        phones = pd.read_sql(text("SELECT phone_e164 FROM suppressions"), conn)

    context.log.info(
        "suppression list: %d numbers (%d imported, %d import rows unusable)",
        len(phones), len(imported), sum(len(i.rejected) for i in imports),
    )  # fmt: skip
    if phones.empty:
        context.log.warning("the suppression list is empty: no opt-outs recorded or imported")
    return MaterializeResult(
        metadata=_metadata(counts, imports, len(phones)),
        check_results=_checks(phones, imports),
    )


def _imported(imports: list[ImportedNumbers]) -> pd.DataFrame:
    frames = [i.numbers for i in imports]
    if not frames:
        return pd.DataFrame(columns=["phone_e164", "reason", "source"])
    return pd.concat(frames, ignore_index=True)


def _metadata(counts: pd.DataFrame, imports: list[ImportedNumbers], total: int) -> dict:
    files = pd.DataFrame(
        [
            {"source": i.numbers["source"].iloc[0] if len(i.numbers) else "-",
             "rows": i.rows_read, "numbers": len(i.numbers), "unusable": len(i.rejected)}
            for i in imports
        ],
        columns=["source", "rows", "numbers", "unusable"],
    )  # fmt: skip
    return {
        "dagster/row_count": MetadataValue.int(total),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("phone_e164", "text"),
                    TableColumn(
                        "reason", "text", description="opt_out | landline | invalid_number"
                    ),
                    TableColumn("source", "text"),
                    TableColumn("added_at", "timestamptz"),
                ]
            )
        ),
        "by_reason_and_source": MetadataValue.md(counts.to_markdown(index=False) or "none"),
        "imported_files": MetadataValue.md(files.to_markdown(index=False) or "none"),
    }


def _checks(phones: pd.DataFrame, imports: list[ImportedNumbers]) -> list:
    rejected = [r for i in imports for r in i.rejected]
    e164 = run_expectation(
        phones, gxe.ExpectColumnValuesToMatchRegex(column="phone_e164", regex=E164_PATTERN)
    )
    return [
        # The failing values are phone numbers: counted here, never shown.
        plain_result(
            "suppressed_numbers_are_e164",
            e164.success,
            e164.describe("suppressed numbers in E.164"),
        ),
        plain_result(
            "suppression_files_are_fully_read",
            not rejected,
            f"{len(rejected)} of {sum(i.rows_read for i in imports):,} imported rows hold no "
            "usable number",
            severity=AssetCheckSeverity.WARN,
            metadata={
                "sample_rows": MetadataValue.json(
                    [f"{r.source} line {r.line}: {r.problem}" for r in rejected[:5]]
                )
            },
        ),
    ]
