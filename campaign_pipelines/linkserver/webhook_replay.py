"""Recording the webhooks spooled during an outage, once PostgreSQL answers again.

Status callbacks go through the status writer in one batch per file (the stored status still
only moves forward, whatever order they come in); inbound messages are recorded one by one with
the time they arrived, so a STOP replayed late does not undo a START recorded since.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.spool import Spool
from campaign_pipelines.linkserver.statuses import StatusWriter
from campaign_pipelines.linkserver.webhook_spool import STATUS_PATH, SpooledWebhook
from campaign_pipelines.linkserver.webhooks import record_inbound, status_update

log = logging.getLogger(__name__)


class WebhookReplay:
    def __init__(self, pool: AsyncConnectionPool, spool: Spool, statuses: StatusWriter) -> None:
        self._pool = pool
        self._spool = spool
        self._statuses = statuses

    def pending(self) -> bool:
        return bool(self._spool.files())

    async def replay_spool(self) -> int:
        """Record every spooled webhook nobody else holds; how many were recorded. Raises (and
        leaves the file for later) if PostgreSQL fails again meanwhile."""
        await self._spool.seal()
        replayed = 0
        for path in self._spool.files():
            claim = await asyncio.to_thread(self._spool.claim, path)
            if claim is None:
                continue
            try:
                await self._record(claim.records)
            except BaseException:
                claim.abandon()
                raise
            claim.done()
            replayed += len(claim.records)
            log.info(
                "replayed a webhook spool file: %d webhooks, %d unreadable lines",
                len(claim.records),
                claim.unreadable_lines,
            )
        return replayed

    async def _record(self, webhooks: list[SpooledWebhook]) -> None:
        statuses = [
            status_update(w.form, received_at=datetime.fromisoformat(w.received_at))
            for w in webhooks
            if w.path == STATUS_PATH
        ]
        if statuses:
            await self._statuses.write(statuses)
        for webhook in webhooks:
            if webhook.path != STATUS_PATH:
                received_at = datetime.fromisoformat(webhook.received_at)
                await record_inbound(self._pool, webhook.form, received_at=received_at)
