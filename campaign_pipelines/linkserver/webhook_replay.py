"""Recording the webhooks spooled during an outage, once PostgreSQL answers again.

Status callbacks go through the status writer in one batch per file (the stored status still
only moves forward, whatever order they come in); inbound messages are recorded one by one with
the time they arrived, so a STOP replayed late does not undo a START recorded since.
"""

from __future__ import annotations

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

    async def replay_spool(self) -> int:
        """Record every spooled webhook nobody else holds; how many were recorded. Raises (and
        leaves the file for later) if PostgreSQL fails again meanwhile."""
        drained = await self._spool.drain(self._record)
        for file in drained:
            log.info(
                "replayed a webhook spool file: %d webhooks, %d unreadable lines",
                file.records,
                file.unreadable_lines,
            )
        return sum(file.stored for file in drained)

    async def _record(self, webhooks: list[SpooledWebhook]) -> int:
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
        return len(webhooks)
