"""Writing clicks: one statement per batch, the spool when PostgreSQL is away, and replay.

``ClickWriter.write`` is the flush function of the click ``GroupBatcher``: it returns only once
the batch is durable, in PostgreSQL or in the spool, so a redirect is never answered for a click
that could still be lost.
"""

from __future__ import annotations

import asyncio
import logging
import time

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects import postgresql

from campaign_pipelines.db.schema import clicks
from campaign_pipelines.linkserver.database import UNREACHABLE, DatabaseState, HeldConnection
from campaign_pipelines.linkserver.records import CLICK_COLUMNS, ClickRecord
from campaign_pipelines.linkserver.spool import Spool

log = logging.getLogger(__name__)

# Live batches go in by COPY: in autocommit mode one COPY is its own transaction, durable when
# it returns, and it costs about half the CPU of an INSERT of the same rows on both sides of the
# connection. Every click_uuid in a live batch is new, so nothing can conflict.
COPY_CLICKS = sql.SQL("COPY clicks ({}) FROM STDIN").format(
    sql.SQL(", ").join(map(sql.Identifier, CLICK_COLUMNS))
)
# Replaying the spool uses one INSERT per chunk instead: a column per parameter (an array, typed
# as the table has it), and a click_uuid already stored (a commit whose answer was lost before
# the batch was spooled) is skipped, which is what makes replay safe.
_ARRAYS = sql.SQL(", ").join(
    sql.SQL("%s::{}[]").format(sql.SQL(clicks.c[name].type.compile(dialect=postgresql.dialect())))
    for name in CLICK_COLUMNS
)
INSERT_CLICKS = sql.SQL(
    "INSERT INTO clicks ({}) SELECT * FROM unnest({}) ON CONFLICT (click_uuid) DO NOTHING"
).format(sql.SQL(", ").join(map(sql.Identifier, CLICK_COLUMNS)), _ARRAYS)
REPLAY_CHUNK = 10_000


class ClickWriter:
    """Commits click batches, or spools them when PostgreSQL cannot take them."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        spool: Spool,
        state: DatabaseState,
        *,
        timeout: float,
    ) -> None:
        self._pool = pool
        self._spool = spool
        self._state = state
        self._timeout = timeout
        self.committed = 0
        self.spooled = 0
        self.batches = 0
        self.commit_seconds = 0.0
        # One connection per concurrent batch, kept between batches: taking one from the pool
        # and giving it back cost more of the worker's time than writing the batch.
        self._idle: list[HeldConnection] = []

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
        drained = await self._spool.drain(self._insert_new)
        for file in drained:
            log.info(
                "replayed a spool file: %d clicks, %d stored now, %d already stored,"
                " %d unreadable lines",
                file.records,
                file.stored,
                file.records - file.stored,
                file.unreadable_lines,
            )
        return sum(file.stored for file in drained)

    async def _commit(self, records: list[ClickRecord]) -> None:
        held = self._idle.pop() if self._idle else HeldConnection(self._pool, timeout=self._timeout)

        async def copy_rows(conn: psycopg.AsyncConnection) -> None:
            async with conn.cursor() as cursor, cursor.copy(COPY_CLICKS) as copy:
                for record in records:
                    await copy.write_row(record)

        try:
            await held.run(copy_rows)
        except BaseException:
            # A connection that failed mid-COPY is no use to the next batch; the pool checks it.
            await held.release()
            raise
        self._idle.append(held)

    async def close(self) -> None:
        """Give the held connections back to the pool (after the last batch)."""
        idle, self._idle = self._idle, []
        for held in idle:
            await held.release()

    async def _insert_new(self, records: list[ClickRecord]) -> int:
        inserted = 0
        async with self._pool.connection() as conn:
            for start in range(0, len(records), REPLAY_CHUNK):
                inserted += await self._insert(conn, records[start : start + REPLAY_CHUNK])
        return inserted

    async def _insert(self, conn: psycopg.AsyncConnection, records: list[ClickRecord]) -> int:
        """The clicks newly stored (those whose click_uuid was not there yet)."""
        if not records:
            return 0
        columns = zip(*records, strict=True)
        cursor = await conn.execute(INSERT_CLICKS, [list(column) for column in columns])
        return cursor.rowcount
