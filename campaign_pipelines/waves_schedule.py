"""When waves go out: the wave send job and the sensor that launches it as windows open.

Every minute ``wave_window_sensor`` reads the campaign config, adds a ``waves`` partition for any
new wave, and for each wave whose send window is open asks for a run of ``wave_send_job`` when
there is work due: the wave has never run, intents deferred to a voter's texting hours are now
due, or a run died with sends mid-call. Each request carries a run key naming that work (the
wave, the due time and how many of its texts are settled), so Dagster launches it once however
often the sensor ticks, and a wave with a run still in progress is left alone. A wave paused
(its run terminated) and resumed has settled more texts since, so it gets a new key each time;
a run that settled nothing is not relaunched in a loop, it waits for someone to look. Runs
themselves are safe to repeat: the sender records each intent before calling Twilio and holds a
per-wave lock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)
from sqlalchemy import text

from campaign_pipelines.partitions import wave_partitions
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

wave_send_job = define_asset_job(
    "wave_send_job",
    selection=AssetSelection.assets(
        "suppression_list", "links", "wave_audience", "wave_messages", "wave_sends"
    ),
    description="Refresh the suppression list, then mint, choose, render and send one wave "
    "(partitioned by wave id).",
)

_IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
_WORK = text(
    "SELECT wave_id, count(*) AS intents,"
    " min(not_before) FILTER (WHERE state IN ('planned', 'deferred')) AS next_due,"
    " min(submitted_at) FILTER (WHERE state = 'submitting') AS stranded,"
    " count(*) FILTER (WHERE state NOT IN ('planned', 'deferred', 'submitting')) AS settled"
    " FROM sends WHERE wave_id = ANY(:wave_ids) GROUP BY wave_id"
)


def due_work(
    wave_id: str,
    now: datetime,
    intents: int,
    next_due: datetime | None,
    stranded: datetime | None,
    settled: int = 0,
) -> str | None:
    """A run key for the work due on an open wave now, or None when nothing is due."""
    if intents == 0:
        return f"{wave_id}:open"
    if stranded is not None:
        return f"{wave_id}:resume:{stranded.astimezone(UTC).isoformat()}"
    if next_due is not None and next_due <= now:
        return f"{wave_id}:due:{next_due.astimezone(UTC).isoformat()}:settled:{settled}"
    return None


@sensor(
    job=wave_send_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Adds a partition per configured wave and launches wave_send_job when a wave's "
    "window is open and texts are due.",
)
def wave_window_sensor(
    context: SensorEvaluationContext, campaign: CampaignConfigResource, postgres: PostgresResource
):
    config = campaign.load()
    waves = config.messaging.waves
    known = set(context.instance.get_dynamic_partitions(wave_partitions.name))
    new = [w.id for w in waves if w.id not in known]
    partition_requests = [wave_partitions.build_add_request(new)] if new else []

    now = datetime.now(UTC)
    open_waves = [w.id for w in waves if w.window.opens_at <= now < w.window.closes_at]
    work = {}
    if open_waves:
        with postgres.engine().connect() as conn:
            work = {row.wave_id: row for row in conn.execute(_WORK, {"wave_ids": open_waves})}
    requests = []
    for wave_id in open_waves:
        row = work.get(wave_id)
        key = due_work(
            wave_id,
            now,
            row.intents if row else 0,
            row and row.next_due,
            row and row.stranded,
            row.settled if row else 0,
        )
        if key is not None and not _running(context, wave_id):
            requests.append(RunRequest(partition_key=wave_id, run_key=key))

    if not requests and not partition_requests:
        return SkipReason(f"{len(open_waves)} wave(s) open, none with texts due")
    return SensorResult(run_requests=requests, dynamic_partitions_requests=partition_requests)


def _running(context: SensorEvaluationContext, wave_id: str) -> bool:
    runs = context.instance.get_runs(
        filters=RunsFilter(
            job_name=wave_send_job.name,
            statuses=_IN_PROGRESS,
            tags={"dagster/partition": wave_id},
        ),
        limit=1,
    )
    return bool(runs)
