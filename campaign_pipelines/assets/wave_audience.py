"""Wave audience: who a wave may text, who it may not and why, and who is held out."""

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
from campaign_pipelines.db.session import transaction
from campaign_pipelines.messaging.audience import Audience, build_audience, suppressed_in_audience
from campaign_pipelines.messaging.policy import UnknownWave, configured_wave
from campaign_pipelines.partitions import wave_partitions
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

HOLDOUT_TOLERANCE = 0.02  # absolute difference from the configured share before staff look

AUDIENCE_CHECKS = [
    AssetCheckSpec("no_suppressed_number_in_audience", asset="wave_audience", blocking=True,
                   description="No eligible voter's number is on the suppression list or has "
                   "opted out, checked against the live opt-outs as well."),
    AssetCheckSpec("holdout_share_matches_config", asset="wave_audience",
                   description="The share of drawn voters held out is within 2 points of the "
                   "configured holdout fraction."),
]  # fmt: skip


@asset(
    deps=["voters", "district_assignments", "suppression_list", "links"],
    partitions_def=wave_partitions,
    group_name="waves",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=AUDIENCE_CHECKS,
    tags={"pii": "true"},
)
def wave_audience(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Everyone a wave's district filters reach, each either eligible to be texted or excluded
    with the first reason that applies: no SMS consent, no or invalid phone, not a mobile
    number, suppressed (STOP, carrier refusal, imported list), sharing a number with another
    voter of the wave, or in the campaign's holdout. The holdout is drawn once per campaign and
    voter, by a seeded hash within each congressional district, and kept, so a voter stays in
    the same arm in every wave and every re-run."""
    config = campaign.load()
    try:
        wave = configured_wave(config, context.partition_key)
    except UnknownWave as e:
        raise Failure(description=str(e)) from e
    context.log.info("choosing the audience of wave %s (%d filters)", wave.id, len(wave.audience))

    engine = postgres.engine()
    with transaction(engine) as conn:
        audience = build_audience(conn, config, wave)
        suppressed, sample = suppressed_in_audience(conn, wave.id)

    reasons = audience.by_reason()
    context.log.info(
        "wave %s audience: %d reached, %d eligible, %d held out, %d new holdout draws",
        wave.id, len(audience.frame), audience.eligible, reasons["holdout"], audience.new_arms,
    )  # fmt: skip
    if audience.eligible == 0:
        context.log.warning("wave %s has nobody eligible to text", wave.id)
    return MaterializeResult(
        metadata=_metadata(audience, reasons),
        check_results=_checks(audience, wave.holdout_fraction, suppressed, sample),
    )


def _metadata(audience: Audience, reasons: dict[str, int]) -> dict:
    excluded = pd.DataFrame(
        [{"reason": reason, "voters": n} for reason, n in reasons.items()]
        + [{"reason": "eligible", "voters": audience.eligible}]
    )
    strata = audience.holdout_by_stratum()
    return {
        "dagster/row_count": MetadataValue.int(len(audience.frame)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("wave_id", "text"),
                    TableColumn("voter_id", "text"),
                    TableColumn("exclusion", "text", description="NULL when eligible"),
                    TableColumn("stratum", "text", description="holdout stratum (district)"),
                ]
            )
        ),
        "eligible": MetadataValue.int(audience.eligible),
        "excluded_by_reason": MetadataValue.json(reasons),
        "audience": MetadataValue.md(excluded.to_markdown(index=False)),
        "holdout_by_stratum": MetadataValue.md(
            strata.assign(share=strata["share"].map("{:.1%}".format)).to_markdown(index=False)
            if len(strata)
            else "nobody drawn"
        ),
        "new_holdout_draws": MetadataValue.int(audience.new_arms),
    }


def _checks(audience: Audience, fraction: float, suppressed: int, sample: list[str]) -> list:
    strata = audience.holdout_by_stratum()
    drawn = int(strata["drawn"].sum()) if len(strata) else 0
    held = int(strata["holdout"].sum()) if len(strata) else 0
    share = held / drawn if drawn else fraction
    return [
        plain_result(
            "no_suppressed_number_in_audience",
            suppressed == 0,
            f"{suppressed:,} of {audience.eligible:,} eligible voters have a suppressed or "
            "opted-out number (must be 0)",
            metadata={"sample_ids": MetadataValue.json(sample)},
        ),
        plain_result(
            "holdout_share_matches_config",
            abs(share - fraction) <= HOLDOUT_TOLERANCE,
            f"{held:,} of {drawn:,} drawn voters held out ({share:.2%}); configured "
            f"{fraction:.0%} (tolerance {HOLDOUT_TOLERANCE:.0%})",
            severity=AssetCheckSeverity.WARN,
        ),
    ]
