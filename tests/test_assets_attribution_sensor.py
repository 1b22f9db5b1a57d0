"""The clicks cursor: no click missed and none counted twice, across ticks, in-flight writers,
concurrent runs and restarts; and the sensor's run requests and cursor."""

import json
import threading
import uuid
from datetime import UTC, datetime

import psycopg
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context
from sqlalchemy import insert, text

from campaign_pipelines.assets.clicks import ingest_clicks
from campaign_pipelines.db import schema
from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.resources import PostgresResource
from campaign_pipelines.sensors.clicks_sensor import (
    RETRY_AFTER_SECONDS,
    Pending,
    clicks_sensor,
    decide,
)

AT = datetime(2026, 10, 30, 15, 0, tzinfo=UTC)
CLICK = (
    "INSERT INTO clicks (click_uuid, link_id, clicked_at, method, user_agent, is_human, reason)"
    " VALUES (%s, 1, %s, 'GET', 'Mozilla/5.0 (iPhone)', true, 'person') RETURNING click_id"
)


def _ingest(engine):
    return ingest_clicks(engine, layer="congressional", too_soon_seconds=5.0, batch_rows=2)


def _add_clicks(engine, n: int) -> None:
    with engine.begin() as conn:
        for _ in range(n):
            conn.execute(insert(schema.clicks).values(
                click_uuid=uuid.uuid4(), link_id=1, clicked_at=AT, method="GET",
                user_agent="Mozilla/5.0 (iPhone)", is_human=True, reason="person",
            ))  # fmt: skip


def _ingested(engine) -> list[int]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT click_id FROM click_events ORDER BY 1")).scalars().all()


def test_clicks_cursor_waits_for_a_click_committed_out_of_order(engine, database_url):
    with psycopg.connect(libpq_url(database_url)) as slow:
        # The slow writer takes the lower id and commits last.
        held = slow.execute(CLICK, (uuid.uuid4(), AT)).fetchone()[0]
        _add_clicks(engine, 1)

        first = _ingest(engine)
        second = _ingest(engine)
        assert _ingested(engine) == [held + 1]
        assert first.watermark == second.watermark == 0  # held back while a writer is in flight
        slow.commit()

    _ingest(engine)
    third = _ingest(engine)

    assert _ingested(engine) == [held, held + 1]
    # It moves on once no transaction older than the in-flight one is left anywhere on the
    # server (a long transaction elsewhere only holds it back; it never lets it skip).
    assert third.watermark in (0, held + 1)


def test_clicks_ingest_in_batches_across_runs_counts_each_once(engine):
    _add_clicks(engine, 5)
    assert _ingest(engine).ingested == 5  # batch_rows=2: three pages
    _add_clicks(engine, 3)
    assert _ingest(engine).ingested == 3
    assert _ingest(engine).ingested == 0

    assert len(_ingested(engine)) == 8


def test_clicks_concurrent_runs_never_double_count(engine):
    _add_clicks(engine, 40)
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(_ingest(engine))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.ingested for r in reports) == 40
    assert len(_ingested(engine)) == 40


def test_clicks_sensor_requests_a_run_and_records_the_cursor(engine, database_url):
    _add_clicks(engine, 3)
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, resources={"postgres": PostgresResource(url=database_url)}
        )
        request = clicks_sensor(context)
        cursor = json.loads(context.cursor)
        assert isinstance(request, RunRequest)
        assert request.run_key == "clicks-through-3-pending-3"
        assert (cursor["newest_click_id"], cursor["key"]) == (3, "clicks-through-3-pending-3")

        # The same pending clicks on the next tick: the run is on its way, ask for nothing.
        assert isinstance(clicks_sensor(context), SkipReason)

        _ingest(engine)
        skipped = clicks_sensor(context)
        assert isinstance(skipped, SkipReason)
        assert "all clicks through id 3 are ingested" in skipped.skip_message


def test_clicks_sensor_retries_when_clicks_stay_pending():
    pending = Pending(newest_click_id=9, watermark=0, clicks=4)
    first, cursor = decide(pending, {}, now=1000.0)
    waiting, same = decide(pending, cursor, now=1000.0 + RETRY_AFTER_SECONDS - 1)
    retry, after = decide(pending, cursor, now=1000.0 + RETRY_AFTER_SECONDS)

    assert first.run_key == "clicks-through-9-pending-4"
    assert isinstance(waiting, SkipReason) and same == cursor
    assert retry.run_key == "clicks-through-9-pending-4-retry-1"
    assert after["attempt"] == 2
