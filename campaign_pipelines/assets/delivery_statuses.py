"""Delivery statuses: the latest carrier report for every text, and when it was delivered."""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import Engine, text

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.db.session import transaction
from campaign_pipelines.resources import PostgresResource

BUILD_SQL = Path(__file__).with_name("delivery_statuses.sql")
MIN_KNOWN_RATE = 0.99

DELIVERY_CHECKS = [
    AssetCheckSpec("reports_belong_to_sent_texts", asset="delivery_statuses",
                   description=f"At least {MIN_KNOWN_RATE:.0%} of the messages Twilio reported "
                   "on are texts this platform sent."),
]  # fmt: skip


@asset(
    deps=["wave_sends"],
    group_name="attribution",
    owners=OWNERS,
    kinds={"postgres"},
    check_specs=DELIVERY_CHECKS,
)
def delivery_statuses(
    context: AssetExecutionContext, postgres: PostgresResource
) -> MaterializeResult:
    """The latest delivery status of every text the provider accepted (queued, sent, delivered,
    undelivered, failed with its carrier error), built from Twilio's status reports, which can
    arrive late, twice or out of order, and the moment it was delivered: click timing relative
    to delivery is how fetches too fast for a person are told apart."""
    engine = postgres.engine()
    context.log.info("rebuilding delivery statuses from status callbacks")

    rows = build_delivery_statuses(engine)
    summary = _summary(engine)

    context.log.info("delivery statuses: %d messages", rows)
    if rows == 0:
        context.log.warning("no texts sent and no status callbacks yet")
    return MaterializeResult(metadata=_metadata(rows, summary), check_results=_checks(engine))


def build_delivery_statuses(engine: Engine) -> int:
    with transaction(engine) as conn:
        # TRUNCATE, not DELETE: ten million dead rows would cost more than the rebuild's select.
        conn.execute(text("TRUNCATE delivery_statuses"))
        return conn.execute(text(BUILD_SQL.read_text())).rowcount


def _summary(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            text("SELECT coalesce(wave_id, '(unknown message)') AS wave_id, status,"
                 " count(*) AS messages, count(delivered_at) AS delivered"
                 " FROM delivery_statuses GROUP BY 1, 2 ORDER BY 1, 3 DESC"),
            conn,
        )  # fmt: skip


def _metadata(rows: int, summary: pd.DataFrame) -> dict:
    delivered = int(summary["delivered"].sum()) if len(summary) else 0
    return {
        "dagster/row_count": MetadataValue.int(rows),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("message_sid", "text"),
                    TableColumn("wave_id", "text"),
                    TableColumn("voter_id", "text"),
                    TableColumn("status", "text", description="furthest status reported"),
                    TableColumn("error_code", "text"),
                    TableColumn("delivered_at", "timestamptz"),
                    TableColumn("callbacks", "integer"),
                ]
            )
        ),
        "delivered": MetadataValue.int(delivered),
        "by_wave_and_status": MetadataValue.md(
            summary.to_markdown(index=False) if len(summary) else "no messages"
        ),
    }


def _checks(engine: Engine) -> list:
    with engine.connect() as conn:
        total, known = conn.execute(
            text("SELECT count(*), count(send_id) FROM delivery_statuses")
        ).one()
        unknown = conn.execute(
            text("SELECT message_sid FROM delivery_statuses WHERE send_id IS NULL"
                 " ORDER BY message_sid LIMIT 5")
        ).scalars().all()  # fmt: skip
    rate = known / total if total else 1.0
    return [
        plain_result(
            "reports_belong_to_sent_texts",
            rate >= MIN_KNOWN_RATE,
            f"{rate:.2%} of {total:,} reported messages are texts we sent "
            f"(threshold {MIN_KNOWN_RATE:.0%})",
            severity=AssetCheckSeverity.WARN,
            metadata={"rate": MetadataValue.float(rate), "sample_ids": MetadataValue.json(unknown)},
        )
    ]
