"""``clicks_sensor``: launches ``clicks_job`` whenever the link server has clicks not yet ingested.

The guarantee that no click is missed or counted twice lives in the ``clicks`` asset (an insert
keyed on ``click_id`` and a watermark that waits for in-flight writers); the sensor only decides
when a run is worth launching. Its cursor records the last request (newest click id and pending
count), so a tick that sees the same pending clicks while their run is queued or running
requests nothing. If those clicks are still pending ``RETRY_AFTER_SECONDS`` later (the run
failed or was cancelled), the request is made again under a new run key.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)
from sqlalchemy import Engine, text

from campaign_pipelines.resources import PostgresResource

RETRY_AFTER_SECONDS = 600

clicks_job = define_asset_job(
    "clicks_job",
    selection=AssetSelection.assets("clicks"),
    description="Ingest new link-server clicks into the clicks table (people and machines apart).",
)


@dataclass(frozen=True)
class Pending:
    newest_click_id: int
    watermark: int
    clicks: int  # visible link-server clicks not yet in the clicks table


def pending_clicks(engine: Engine) -> Pending:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "WITH state AS (SELECT coalesce(max(watermark), 0) AS watermark"
                " FROM click_ingest_state)"
                " SELECT (SELECT coalesce(max(click_id), 0) FROM clicks), state.watermark,"
                " (SELECT count(*) FROM clicks AS c WHERE c.click_id > state.watermark"
                "  AND NOT EXISTS (SELECT 1 FROM click_events AS e WHERE e.click_id = c.click_id))"
                " FROM state"
            )
        ).one()
    return Pending(int(row[0]), int(row[1]), int(row[2]))


def decide(pending: Pending, cursor: dict, now: float) -> tuple[RunRequest | SkipReason, dict]:
    """The request for this tick and the next cursor (pure, so tests need no Dagster instance)."""
    if pending.clicks == 0:
        reason = f"all clicks through id {pending.newest_click_id} are ingested"
        return SkipReason(reason), {**cursor, "newest_click_id": pending.newest_click_id}
    key = f"clicks-through-{pending.newest_click_id}-pending-{pending.clicks}"
    same = cursor.get("key") == key
    if same and now - cursor.get("requested_at", now) < RETRY_AFTER_SECONDS:
        return SkipReason(f"a run for {pending.clicks} pending clicks is already requested"), cursor
    attempt = cursor.get("attempt", 0) + 1 if same else 1
    run_key = key if attempt == 1 else f"{key}-retry-{attempt - 1}"
    request = RunRequest(
        run_key=run_key,
        tags={"newest_click_id": str(pending.newest_click_id), "pending": str(pending.clicks)},
    )
    next_cursor = {"newest_click_id": pending.newest_click_id, "key": key, "attempt": attempt,
                   "requested_at": now}  # fmt: skip
    return request, next_cursor


@sensor(
    job=clicks_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Every 30 s: if the link server has recorded clicks the clicks table has not "
    "ingested yet, launch clicks_job.",
)
def clicks_sensor(context: SensorEvaluationContext, postgres: PostgresResource):
    pending = pending_clicks(postgres.engine())
    cursor = json.loads(context.cursor) if context.cursor else {}
    result, next_cursor = decide(pending, cursor, time.time())
    context.update_cursor(json.dumps(next_cursor))
    if isinstance(result, RunRequest):
        context.log.info("requesting clicks_job for %d pending clicks", pending.clicks)
    return result
