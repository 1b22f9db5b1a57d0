"""Webhooks kept in the spool during an outage: what a line holds, and replaying it late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.linkserver.webhook_spool import INBOUND_PATH, SpooledWebhook
from campaign_pipelines.linkserver.webhooks import record_inbound

PHONE = "+19195550142"
NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_a_spooled_webhook_reads_back_as_it_was_written():
    webhook = SpooledWebhook(
        INBOUND_PATH, [("MessageSid", "SM1"), ("Body", "STOP"), ("Body", "again")], NOON.isoformat()
    )

    again = SpooledWebhook.from_json(webhook.to_json())

    assert again == webhook
    assert again.form == {"MessageSid": "SM1", "Body": "STOP"}  # the first of repeated names


@pytest.mark.parametrize(
    "data",
    [
        {"path": "/elsewhere", "fields": [], "received_at": NOON.isoformat()},
        {"path": INBOUND_PATH, "fields": [], "received_at": "yesterday"},
        {"path": INBOUND_PATH, "fields": []},
    ],
)
def test_a_line_that_is_not_a_spooled_webhook_is_refused(data):
    with pytest.raises((ValueError, KeyError)):
        SpooledWebhook.from_json(data)


def test_a_stop_replayed_late_does_not_undo_a_later_start(engine, database_url):
    # The START came in (and was recorded) after the outage; the STOP sent before it is replayed
    # from the spool afterwards, with the time it came.
    async def main() -> None:
        async with AsyncConnectionPool(
            libpq_url(database_url), kwargs={"autocommit": True}, min_size=1
        ) as pool:
            start = {"MessageSid": "SM-start", "From": PHONE, "Body": "START"}
            stop = {"MessageSid": "SM-stop", "From": PHONE, "Body": "STOP"}
            await record_inbound(pool, start, received_at=NOON + timedelta(minutes=5))
            await record_inbound(pool, stop, received_at=NOON)

    asyncio.run(main())

    with engine.connect() as conn:
        opted_out = conn.execute(
            text("SELECT opted_out FROM opt_outs WHERE phone_e164 = :p"), {"p": PHONE}
        ).scalar_one()
        replies = conn.execute(
            text("SELECT message_sid, received_at FROM inbound_messages ORDER BY received_at")
        ).all()
    assert opted_out is False
    assert replies == [("SM-stop", NOON), ("SM-start", NOON + timedelta(minutes=5))]
