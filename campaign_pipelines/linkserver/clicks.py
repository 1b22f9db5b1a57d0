"""Writing clicks: a batch per commit (COPY), the spool when PostgreSQL is away, and replay.

``ClickWriter.write`` is the flush function of the click ``GroupBatcher``: it returns only once
the batch is durable, in PostgreSQL or in the spool, so a redirect is never answered for a click
that could still be lost. Inside the write transaction the batch also reads when each clicked
link's text was delivered, so a fetch that came faster than a person can read is labelled
``too_soon_after_delivery`` with the delivery receipts known at that moment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.database import UNREACHABLE, DatabaseState
from campaign_pipelines.linkserver.records import CLICK_COLUMNS, ClickRecord
from campaign_pipelines.linkserver.spool import Spool

log = logging.getLogger(__name__)

_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, CLICK_COLUMNS))
COPY_CLICKS = sql.SQL("COPY clicks ({}) FROM STDIN").format(_COLUMNS)
CREATE_REPLAY_TABLE = sql.SQL(
    "CREATE TEMP TABLE spooled_clicks ON COMMIT DROP AS SELECT {} FROM clicks WITH NO DATA"
).format(_COLUMNS)
COPY_REPLAY = sql.SQL("COPY spooled_clicks ({}) FROM STDIN").format(_COLUMNS)
INSERT_REPLAYED = sql.SQL(
    "INSERT INTO clicks ({0}) SELECT {0} FROM spooled_clicks ON CONFLICT (click_uuid) DO NOTHING"
).format(_COLUMNS)
DELIVERED_AT = """
    SELECT link_id, max(delivered_at) FROM message_statuses
    WHERE link_id = ANY(%s) AND delivered_at IS NOT NULL
    GROUP BY link_id
"""


class ClickWriter:
    """Commits click batches, or spools them when PostgreSQL cannot take them."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        spool: Spool,
        state: DatabaseState,
        *,
        timeout: float,
        too_soon_seconds: float,
    ) -> None:
        self._pool = pool
        self._spool = spool
        self._state = state
        self._timeout = timeout
        self._too_soon_seconds = too_soon_seconds
        self.committed = 0
        self.spooled = 0
        self.batches = 0
        self.commit_seconds = 0.0

    async def write(self, records: list[ClickRecord]) -> list[None]:
        """Make ``records`` durable; raises only if neither PostgreSQL nor the spool took them."""
        done = [None] * len(records)
        if self._state.reachable:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._timeout):
                    await self._commit(records)
            except UNREACHABLE as e:
                self._state.mark_down(e)
            except psycopg.Error as e:
                log.error(
                    "PostgreSQL refused a batch of %d clicks (SQLSTATE %s); spooling it",
                    len(records),
                    e.sqlstate,
                )
            else:
                self.committed += len(records)
                self.batches += 1
                self.commit_seconds += time.perf_counter() - started
                return done
        await self._spool.append(records)
        self.spooled += len(records)
        return done

    async def replay_spool(self) -> int:
        """Move every spool file nobody else holds into PostgreSQL; the clicks newly stored."""
        await self._spool.seal()
        stored = 0
        for path in self._spool.files():
            claim = await asyncio.to_thread(self._spool.claim, path)
            if claim is None:
                continue
            try:
                inserted = await self._insert_new(claim.records)
            except BaseException:
                claim.abandon()
                raise
            claim.done()
            stored += inserted
            log.info(
                "replayed a spool file: %d clicks, %d stored now, %d already stored,"
                " %d unreadable lines",
                len(claim.records),
                inserted,
                len(claim.records) - inserted,
                claim.unreadable_lines,
            )
        return stored

    async def _commit(self, records: list[ClickRecord]) -> None:
        async with self._pool.connection(self._timeout) as conn, conn.transaction():
            labelled = await self._label_by_delivery(conn, records)
            async with conn.cursor() as cur, cur.copy(COPY_CLICKS) as copy:
                for record in labelled:
                    await copy.write_row(record.row())

    async def _insert_new(self, records: list[ClickRecord]) -> int:
        if not records:
            return 0
        async with self._pool.connection() as conn, conn.transaction():
            labelled = await self._label_by_delivery(conn, records)
            async with conn.cursor() as cur:
                await cur.execute(CREATE_REPLAY_TABLE)
                async with cur.copy(COPY_REPLAY) as copy:
                    for record in labelled:
                        await copy.write_row(record.row())
                await cur.execute(INSERT_REPLAYED)
                return cur.rowcount

    async def _label_by_delivery(
        self, conn: psycopg.AsyncConnection, records: Sequence[ClickRecord]
    ) -> Sequence[ClickRecord]:
        people = {record.link_id for record in records if record.is_human}
        if not people or self._too_soon_seconds <= 0:
            return records
        cursor = await conn.execute(DELIVERED_AT, (list(people),))
        delivered: dict[int, datetime] = dict(await cursor.fetchall())
        if not delivered:
            return records
        return [
            record.with_delivery(delivered[record.link_id], too_soon_seconds=self._too_soon_seconds)
            if record.is_human and record.link_id in delivered
            else record
            for record in records
        ]
