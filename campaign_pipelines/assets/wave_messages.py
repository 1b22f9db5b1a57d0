"""Wave messages: the exact text each eligible voter will receive, and what the wave will cost."""

import pandas as pd
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import delete

from campaign_pipelines.assets._checks import OWNERS, check_result, plain_result
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import wave_messages as messages_table
from campaign_pipelines.db.session import transaction
from campaign_pipelines.messaging.forecast import Forecast
from campaign_pipelines.messaging.messages import WaveMessages, build_messages
from campaign_pipelines.messaging.outcome import wave_forecast
from campaign_pipelines.messaging.policy import UnknownWave, configured_wave
from campaign_pipelines.messaging.queries import analyze
from campaign_pipelines.messaging.rendering import PLACEHOLDER, MissingValueError
from campaign_pipelines.partitions import wave_partitions
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

MESSAGE_CHECKS = [
    AssetCheckSpec("no_unrendered_placeholders", asset="wave_messages", blocking=True,
                   description="No message still contains a {placeholder}."),
    AssetCheckSpec("every_message_has_its_link", asset="wave_messages", blocking=True,
                   description="Every eligible voter has a message, and it carries the voter's "
                   "own short link for every route its variant's template uses."),
    AssetCheckSpec("segments_within_maximum", asset="wave_messages", blocking=True,
                   description="No message is longer than the wave's configured maximum number "
                   "of SMS segments."),
]  # fmt: skip


@asset(
    deps=["wave_audience", "links", "destination_catalog"],
    partitions_def=wave_partitions,
    group_name="waves",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=MESSAGE_CHECKS,
    tags={"pii": "true"},
)
def wave_messages(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """The exact text each eligible voter of a wave will receive: their A/B variant's template
    filled with their first name, polling place and their own short links, the opt-out line
    where the wave requires it, and the encoding (GSM-7, or UCS-2 when a character such as a
    curly apostrophe or an emoji needs it) and SMS segments a carrier will bill. The wave's cost
    and duration forecast is here, before anything is sent."""
    config = campaign.load()
    try:
        wave = configured_wave(config, context.partition_key)
    except UnknownWave as e:
        raise Failure(description=str(e)) from e
    context.log.info("rendering wave %s (%d variants)", wave.id, len(wave.variants))

    with transaction(postgres.engine()) as conn:
        try:
            built = build_messages(conn, config, wave)
        except MissingValueError as e:
            raise Failure(description=str(e)) from e
        conn.execute(delete(messages_table).where(messages_table.c.wave_id == wave.id))
        copy_dataframe(conn, "wave_messages", built.frame)
        analyze(conn, "wave_messages")
        outlook = wave_forecast(conn, config, wave)

    frame = built.frame
    context.log.info("wave %s forecast: %s", wave.id, outlook.describe())
    if built.without_links:
        context.log.warning("wave %s: %d eligible voters have no link", wave.id,
                            len(built.without_links))  # fmt: skip
    return MaterializeResult(
        metadata=_metadata(frame, wave, outlook),
        check_results=_checks(built, wave),
    )


def _metadata(frame: pd.DataFrame, wave: WaveConfig, outlook: Forecast) -> dict:
    by_variant = (
        frame.groupby("variant")
        .agg(messages=("voter_id", "size"), segments=("segments", "sum"),
             ucs2=("encoding", lambda e: int((e == "UCS-2").sum())),
             max_segments=("segments", "max"))
        .reset_index()
    )  # fmt: skip
    templates = pd.DataFrame(
        [{"variant": v.name, "weight": v.weight, "template": v.template} for v in wave.variants]
    )
    return {
        "dagster/row_count": MetadataValue.int(len(frame)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("wave_id", "text"),
                    TableColumn("voter_id", "text"),
                    TableColumn("variant", "text"),
                    TableColumn("link_id", "bigint", description="the first route's link"),
                    TableColumn("to_phone", "text"),
                    TableColumn("body", "text"),
                    TableColumn("encoding", "text", description="GSM-7 | UCS-2"),
                    TableColumn("segments", "smallint"),
                    TableColumn("timezone", "text"),
                    TableColumn("home_state", "text"),
                ]
            )
        ),
        "forecast": MetadataValue.md(outlook.describe()),
        "forecast_figures": MetadataValue.json(outlook.as_metadata()),
        "cost_usd": MetadataValue.float(round(outlook.cost_usd, 2)),
        "segments": MetadataValue.int(outlook.segments),
        "by_variant": MetadataValue.md(by_variant.to_markdown(index=False) or "none"),
        "templates": MetadataValue.md(templates.to_markdown(index=False)),
    }


def _checks(built: WaveMessages, wave: WaveConfig) -> list:
    frame = built.frame
    carried = built.short_urls.merge(frame[["voter_id", "body"]], on="voter_id")
    missing_link = carried[
        [url not in body for url, body in zip(carried["short_url"], carried["body"], strict=True)]
    ]
    lacking = sorted(set(missing_link["voter_id"]) | set(built.without_links))
    expected = len(frame) + len(built.without_links)
    placeholders = run_expectation(
        frame, gxe.ExpectColumnValuesToNotMatchRegex(column="body", regex=PLACEHOLDER.pattern),
        id_column="voter_id",
    )  # fmt: skip
    return [
        check_result(
            "no_unrendered_placeholders", placeholders, "messages without a {placeholder}"
        ),
        plain_result(
            "every_message_has_its_link",
            not lacking,
            f"{expected - len(lacking):,} of {expected:,} eligible voters have a message carrying "
            f"their own link for every route their variant's template uses (wave routes: "
            f"{', '.join(wave.routes)})",
            metadata={"sample_ids": MetadataValue.json(lacking[:5])},
        ),
        check_result(
            "segments_within_maximum",
            run_expectation(
                frame,
                gxe.ExpectColumnValuesToBeBetween(column="segments", max_value=wave.max_segments),
                id_column="voter_id",
            ),
            f"messages of at most {wave.max_segments} segments",
        ),
    ]
