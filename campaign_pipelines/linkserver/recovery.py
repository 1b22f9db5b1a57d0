"""Bringing spooled clicks and webhooks home: probe PostgreSQL while it is away, replay the
spools on return.

While the breaker is open the task probes once a second. When PostgreSQL answers, the breaker
closes (new clicks go straight to it again) and the spool is replayed. While all is well it still
looks at the spool folder every few seconds, for files left by a worker that died.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.database import UNREACHABLE, DatabaseState
from campaign_pipelines.linkserver.spool import Spool

log = logging.getLogger(__name__)

PROBE_INTERVAL_SECONDS = 1.0
SWEEP_INTERVAL_SECONDS = 5.0


# A spool's replay (what it stored) and the spool it empties.
Replayer = tuple[Callable[[], Awaitable[int]], Spool]


class Recovery:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        state: DatabaseState,
        spools: list[Replayer],
        *,
        timeout: float,
    ) -> None:
        self._pool = pool
        self._state = state
        self._spools = spools
        self._timeout = timeout

    async def run_forever(self) -> None:
        # Wakes every probe interval, so an outage noticed by a request is probed within about
        # a second rather than after the rest of a sweep interval.
        next_sweep = 0.0
        while True:
            if not self._state.reachable:
                if await self.probe():
                    self._state.mark_up()
                    await self.replay()
            elif time.monotonic() >= next_sweep:
                await self.replay()
                next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS
            await asyncio.sleep(PROBE_INTERVAL_SECONDS)

    async def probe(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                # Idle connections from before an outage are dead: test and replace them all
                # first, or the probe (and then each request) would take them one at a time.
                await self._pool.check()
                async with self._pool.connection(timeout=self._timeout) as conn:
                    await conn.execute("SELECT 1")
        except UNREACHABLE:
            return False
        return True

    async def replay(self) -> None:
        for replay_spool, spool in self._spools:
            if not spool.files():
                continue
            try:
                stored = await replay_spool()
            except UNREACHABLE as e:
                self._state.mark_down(e)
                return
            except Exception as e:
                # Whatever it is (a read-only database after a failover, a permission), the file
                # stays and is tried again at the next sweep; the task must not die of it.
                log.error(
                    "spool replay failed (%s); the file is kept and tried again", type(e).__name__
                )
                continue
            if stored:
                log.info("spool replay stored %d records", stored)
