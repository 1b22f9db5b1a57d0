"""Texts delivered moments ago, by link: the evidence for ``too_soon_after_delivery``.

A fetch is too soon when it comes within ``LINK_TOO_SOON_SECONDS`` of the carrier's delivery
receipt, so only receipts of the last minute can matter. Each worker reads those once a second
(``message_statuses`` by ``delivered_at``; the status webhook fills in the link from ``sends``)
and keeps them in a dict, so labelling a click costs a dict lookup, not a query. A receipt that
reaches us after the click cannot label it here; attribution sees every receipt later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import psycopg
from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.database import UNREACHABLE, DatabaseState, run_pooled

log = logging.getLogger(__name__)

REFRESH_INTERVAL_SECONDS = 1.0
RECENT_DELIVERIES = """
    SELECT link_id, max(delivered_at) FROM message_statuses
    WHERE delivered_at > now() - make_interval(secs => %s) AND link_id IS NOT NULL
    GROUP BY link_id
"""


class RecentDeliveries:
    def __init__(
        self, pool: AsyncConnectionPool, state: DatabaseState, *, too_soon_seconds: float
    ) -> None:
        self._pool = pool
        self._state = state
        self._window = max(60.0, 4 * too_soon_seconds)
        self._delivered: dict[int, datetime] = {}

    def seconds_since(self, link_id: int, now: datetime) -> float | None:
        """Seconds from the link's text being delivered to ``now``; None if not delivered lately."""
        delivered_at = self._delivered.get(link_id)
        return None if delivered_at is None else (now - delivered_at).total_seconds()

    async def refresh(self) -> None:
        async def select(conn: psycopg.AsyncConnection) -> dict[int, datetime]:
            cursor = await conn.execute(RECENT_DELIVERIES, (self._window,))
            return dict(await cursor.fetchall())

        # A dead pooled connection (PostgreSQL restarted) is replaced, not taken for an outage.
        self._delivered = await run_pooled(self._pool, select)

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_INTERVAL_SECONDS)
            if not self._state.reachable:
                continue
            try:
                await self.refresh()
            except UNREACHABLE as e:
                self._state.mark_down(e)
