"""Webhooks kept in the spool during an outage: what a line holds, and replaying it late."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.linkserver.spool import Spool
from campaign_pipelines.linkserver.statuses import StatusWriter
from campaign_pipelines.linkserver.webhook_replay import REJECTED, STATUS_BATCH, WebhookReplay
from campaign_pipelines.linkserver.webhook_spool import INBOUND_PATH, STATUS_PATH, SpooledWebhook
from campaign_pipelines.linkserver.webhooks import record_inbound

PHONE = "+19195550142"
OTHER = "+19195550143"
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


def webhook(path: str, *fields: tuple[str, str]) -> SpooledWebhook:
    return SpooledWebhook(path, list(fields), NOON.isoformat())


def spool_file(folder: Path, webhooks: list[SpooledWebhook]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(webhook.to_json()) + "\n" for webhook in webhooks)
    (folder / f"webhooks-1-{len(webhooks)}.jsonl").write_text(lines)


def replay(database_url: str, folder: Path, *, batches: list[int] | None = None) -> int:
    async def main() -> int:
        async with AsyncConnectionPool(
            libpq_url(database_url), kwargs={"autocommit": True}, min_size=1
        ) as pool:
            writer = StatusWriter(pool, timeout=10)
            if batches is not None:
                write = writer.write

                async def counted(updates):
                    batches.append(len(updates))
                    return await write(updates)

                writer.write = counted  # type: ignore[method-assign]
            spool = Spool(folder, kind="webhooks", decode=SpooledWebhook.from_json)
            return await WebhookReplay(pool, spool, writer).replay_spool()

    return asyncio.run(main())


def test_a_webhook_postgresql_refuses_is_set_aside_and_the_rest_of_its_file_recorded(
    engine, database_url, tmp_path
):
    spool_file(
        tmp_path,
        [
            webhook(STATUS_PATH, ("MessageSid", "SM-s"), ("MessageStatus", "delivered")),
            webhook(INBOUND_PATH, ("MessageSid", "SM-1"), ("From", PHONE), ("Body", "STOP")),
            webhook(INBOUND_PATH, ("MessageSid", "SM-2"), ("From", PHONE), ("Body", "\x00")),
            webhook(INBOUND_PATH, ("From", PHONE), ("Body", "STOP")),
            webhook(INBOUND_PATH, ("MessageSid", "SM-3"), ("From", OTHER), ("Body", "STOP")),
        ],
    )

    recorded = replay(database_url, tmp_path)

    assert recorded == 3
    assert list(tmp_path.glob("*.jsonl")) == []
    rejected = [json.loads(line) for line in (tmp_path / REJECTED).read_text().splitlines()]
    assert [(line["fields"][0], line["error"]) for line in rejected] == [
        (["MessageSid", "SM-2"], "DataError"),  # PostgreSQL text cannot hold NUL
        (["From", PHONE], "KeyError"),  # no MessageSid
    ]
    with engine.connect() as conn:
        opted_out = set(conn.execute(text("SELECT phone_e164 FROM opt_outs")).scalars())
        status = conn.execute(text("SELECT status FROM message_statuses")).scalars().all()
    assert opted_out == {PHONE, OTHER}
    assert status == ["delivered"]


def test_a_large_status_spool_is_written_in_batches_of_live_size(engine, database_url, tmp_path):
    # A 100k-text wave brings 300k callbacks; one transaction for all of them outlasted the
    # write time-out and was taken for an outage, again at every attempt.
    spool_file(
        tmp_path,
        [
            webhook(STATUS_PATH, ("MessageSid", f"SM{n}"), ("MessageStatus", "sent"))
            for n in range(2 * STATUS_BATCH + 5)
        ],
    )
    batches: list[int] = []

    recorded = replay(database_url, tmp_path, batches=batches)

    assert recorded == 2 * STATUS_BATCH + 5
    assert batches == [STATUS_BATCH, STATUS_BATCH, 5]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM message_statuses")).scalar_one() == recorded


def test_a_status_postgresql_refuses_is_set_aside_and_its_batch_mates_recorded(
    engine, database_url, tmp_path
):
    # A SID far longer than PostgreSQL indexes (spooled by an older server, or a damaged file)
    # fails the batch it is written with; the others are then written one by one.
    huge = "SM" + secrets.token_hex(4500)
    spool_file(
        tmp_path,
        [
            webhook(STATUS_PATH, ("MessageSid", sid), ("MessageStatus", "delivered"))
            for sid in ("SM-a", huge, "SM-b")
        ],
    )

    recorded = replay(database_url, tmp_path)

    assert recorded == 2
    rejected = [json.loads(line) for line in (tmp_path / REJECTED).read_text().splitlines()]
    assert [(line["fields"][0][1] == huge, line["error"]) for line in rejected] == [
        (True, "ProgramLimitExceeded")
    ]
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT message_sid FROM message_statuses")).scalars())
    assert stored == {"SM-a", "SM-b"}
