"""Writing delivery status callbacks in groups: one transaction for many callbacks.

Twilio posts about three callbacks per text (queued, sent, delivered), so a wave of 100,000
texts brings 300,000 of them, in bursts as fast as texts go out. Each request hands its callback
to a ``GroupBatcher`` whose flush is ``StatusWriter.write``: every callback is kept raw in
``status_callbacks`` and the latest status per message is upserted into ``message_statuses``, both
in one transaction, and each request is answered once that transaction has committed.

One upsert cannot touch a row twice, so the batch is first reduced to one row per message: the
furthest status (on a tie, the one that arrived first, as when they come one at a time).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import psycopg
from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.database import run_pooled

INSERT_CALLBACKS = """
    INSERT INTO status_callbacks (message_sid, status, error_code, received_at)
    SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[])
"""
UPSERT_LATEST = (Path(__file__).parent / "sql" / "record_status.sql").read_text()
# The fields each statement's arrays come from, in its parameter order.
CALLBACK_COLUMNS = ("message_sid", "status", "error_code", "received_at")
LATEST_COLUMNS = ("message_sid", "status", "rank", "error_code", "to_phone", "received_at")


class StatusUpdate(NamedTuple):
    message_sid: str
    status: str
    rank: int | None  # None: a status we do not know, kept raw only
    error_code: str | None
    to_phone: str | None
    # When the callback reached us (a delivery's time), not when it was written: a callback
    # replayed from the spool after an outage keeps the time it came.
    received_at: datetime


def latest_per_message(updates: list[StatusUpdate]) -> list[StatusUpdate]:
    """One update per message: the highest rank, the earliest of equals; the first phone seen."""
    best: dict[str, StatusUpdate] = {}
    phones: dict[str, str] = {}
    for update in updates:
        if update.rank is None:
            continue
        if update.to_phone and update.message_sid not in phones:
            phones[update.message_sid] = update.to_phone
        held = best.get(update.message_sid)
        if held is None or update.rank > held.rank:
            best[update.message_sid] = update
    return [
        update._replace(to_phone=update.to_phone or phones.get(sid)) for sid, update in best.items()
    ]


class StatusWriter:
    """The flush function of the status batcher: commits a batch or raises for all of it."""

    def __init__(self, pool: AsyncConnectionPool, *, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self.committed = 0

    async def write(self, updates: list[StatusUpdate]) -> list[None]:
        latest = latest_per_message(updates)

        async def record(conn: psycopg.AsyncConnection) -> None:
            async with conn.transaction():
                await conn.execute(INSERT_CALLBACKS, _columns(updates, CALLBACK_COLUMNS))
                if latest:
                    await conn.execute(UPSERT_LATEST, _columns(latest, LATEST_COLUMNS))

        async with asyncio.timeout(self._timeout):
            await run_pooled(self._pool, record, timeout=self._timeout)
        self.committed += len(updates)
        return [None] * len(updates)


def _columns(updates: list[StatusUpdate], names: tuple[str, ...]) -> list[list]:
    """One array per named field, in order: the parameters of an ``unnest`` statement."""
    return [[getattr(update, name) for update in updates] for name in names]
