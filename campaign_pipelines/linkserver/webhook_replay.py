"""Recording the webhooks spooled during an outage, once PostgreSQL answers again.

Status callbacks go through the status writer in batches of ``STATUS_BATCH`` (the stored
status still only moves forward, whatever order they come in); inbound messages are recorded one
by one with the time they arrived, so a STOP replayed late does not undo a START recorded since.
A webhook PostgreSQL refuses (a corrupted line) is set aside in ``REJECTED`` with the error's
name, and the rest of the file is recorded.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime

import psycopg
from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.linkserver.spool import Spool
from campaign_pipelines.linkserver.statuses import StatusUpdate, StatusWriter
from campaign_pipelines.linkserver.webhook_spool import STATUS_PATH, SpooledWebhook
from campaign_pipelines.linkserver.webhooks import record_inbound, status_update

log = logging.getLogger(__name__)

STATUS_BATCH = 1000  # callbacks per transaction, as the live path's default batch
# Webhooks PostgreSQL refused on replay, one JSON object a line with the error's name; not a
# ".jsonl" spool file, so it is never replayed on its own.
REJECTED = "rejected-webhooks.txt"


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
        """Record a file's webhooks; how many were recorded. Raises only if PostgreSQL is away
        (the file is kept); a webhook PostgreSQL refuses is set aside, not the whole file."""
        statuses: list[tuple[SpooledWebhook, StatusUpdate]] = []
        recorded = 0
        for webhook in webhooks:
            try:
                received_at = datetime.fromisoformat(webhook.received_at)
                if webhook.path == STATUS_PATH:
                    update = status_update(webhook.form, received_at=received_at)
                    statuses.append((webhook, update))
                    continue
                await record_inbound(self._pool, webhook.form, received_at=received_at)
                recorded += 1
            except psycopg.Error as e:
                if not _refused(e):
                    raise
                self._set_aside(webhook, e)
            except (KeyError, ValueError) as e:
                self._set_aside(webhook, e)
        # In batches like live ones: one transaction for a whole wave's callbacks would outlast
        # the write time-out, and be taken for an outage again and again.
        for start in range(0, len(statuses), STATUS_BATCH):
            recorded += await self._write_statuses(statuses[start : start + STATUS_BATCH])
        return recorded

    async def _write_statuses(self, batch: list[tuple[SpooledWebhook, StatusUpdate]]) -> int:
        """Write ``batch`` in one transaction; if PostgreSQL refuses it, each callback on its own,
        setting aside those it refuses. How many were written."""
        try:
            await self._statuses.write([update for _, update in batch])
        except psycopg.Error as e:
            if not _refused(e):
                raise
            if len(batch) == 1:
                self._set_aside(batch[0][0], e)
                return 0
            written = 0
            for one in batch:
                written += await self._write_statuses([one])
            return written
        return len(batch)

    def _set_aside(self, webhook: SpooledWebhook, error: Exception) -> None:
        """Keep a webhook that cannot be recorded in ``REJECTED`` beside the spool, with why."""
        line = json.dumps({**webhook.to_json(), "error": type(error).__name__}) + "\n"
        # Private like the spool files: the lines hold phone numbers and message bodies.
        fd = os.open(self._spool.folder / REJECTED, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as rejected:
            rejected.write(line)
        log.error(
            "a spooled webhook to %s could not be recorded (%s); kept in %s",
            webhook.path,
            type(error).__name__,
            REJECTED,
        )


def _refused(error: psycopg.Error) -> bool:
    """Whether PostgreSQL refused the statement itself (its data), rather than being away,
    shutting down or short of resources: a refused webhook would be refused at every attempt.
    Some refusals are ``OperationalError``s, like a key too long to index (SQLSTATE 54000);
    psycopg refuses some values itself (a NUL in text), with no SQLSTATE."""
    if error.sqlstate:
        return error.sqlstate[:2] not in SERVER_TROUBLE
    return not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


# SQLSTATE classes that say the server, not the statement, is in trouble: connection exception,
# insufficient resources, operator intervention (a shutdown), system error.
SERVER_TROUBLE = frozenset({"08", "53", "57", "58"})
