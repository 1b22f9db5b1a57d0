"""One worker's moving parts, started by the app's lifespan and stopped after its last request.

Start-up order matters: the spool folder must be writable before the first click is accepted,
and the leftovers of a worker that died are replayed as soon as PostgreSQL answers. Shutdown
drains the click batcher first, so every click already accepted is committed (or spooled).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from typing import Any

from campaign_pipelines.db.server import normalise_url
from campaign_pipelines.linkserver.batcher import GroupBatcher
from campaign_pipelines.linkserver.cache import LinkCache, LinkDirectory
from campaign_pipelines.linkserver.clicks import ClickWriter
from campaign_pipelines.linkserver.database import UNREACHABLE, DatabaseState, create_pool
from campaign_pipelines.linkserver.deliveries import RecentDeliveries
from campaign_pipelines.linkserver.places import PollingPlacePages
from campaign_pipelines.linkserver.privacy import ClientAddresses, IpHasher
from campaign_pipelines.linkserver.records import ClickRecord
from campaign_pipelines.linkserver.recovery import Recovery
from campaign_pipelines.linkserver.redirects import Redirects
from campaign_pipelines.linkserver.repeats import RepeatWindow
from campaign_pipelines.linkserver.resolution import CurrentResolver
from campaign_pipelines.linkserver.settings import LinkServerSettings
from campaign_pipelines.linkserver.spool import Spool
from campaign_pipelines.linkserver.statuses import StatusUpdate, StatusWriter
from campaign_pipelines.linkserver.webhook_replay import WebhookReplay
from campaign_pipelines.linkserver.webhook_spool import SpooledWebhook
from campaign_pipelines.linkserver.webhooks import TwilioWebhooks
from campaign_pipelines.routing.resolve import load_resolver

log = logging.getLogger(__name__)

# Status callbacks are answered after their commit, like clicks; two transactions in flight let
# one batch gather while the other waits for its disk sync.
STATUS_COMMIT_CONCURRENCY = 2
YOUNG_GC_THRESHOLD = 20_000
WEBHOOK_SPOOL_FOLDER = "webhooks"  # under LINK_SPOOL_DIR


class LinkServer:
    """Built without I/O when the app is created; ``start`` and ``stop`` run in the worker."""

    def __init__(self, settings: LinkServerSettings) -> None:
        self.settings = settings
        url = settings.resolved_database_url()
        timeout = settings.db_write_timeout_seconds
        self.state = DatabaseState()
        self.pool = create_pool(
            url,
            timeout=timeout,
            writers=settings.group_commit_concurrency + STATUS_COMMIT_CONCURRENCY,
        )
        self.spool = Spool(settings.spool_dir)
        self.writer = ClickWriter(self.pool, self.spool, self.state, timeout=timeout)
        self.clicks: GroupBatcher[ClickRecord, None] = GroupBatcher(
            self.writer.write,
            name="click-commits",
            max_batch=settings.group_commit_max_batch,
            max_delay=settings.group_commit_max_delay_ms / 1000,
            concurrency=settings.group_commit_concurrency,
        )
        cache = LinkCache(
            size=settings.cache_size,
            ttl=settings.cache_ttl_seconds,
            miss_size=settings.miss_cache_size,
            miss_ttl=settings.miss_cache_ttl_seconds,
        )
        self.directory = LinkDirectory(self.pool, self.state, cache, timeout=timeout)
        self.deliveries = RecentDeliveries(
            self.pool, self.state, too_soon_seconds=settings.too_soon_seconds
        )
        self.resolver = CurrentResolver(
            load_resolver,
            normalise_url(url),
            refresh_seconds=settings.resolver_refresh_seconds,
        )
        self.status_writer = StatusWriter(self.pool, timeout=timeout)
        self.statuses: GroupBatcher[StatusUpdate, None] = GroupBatcher(
            self.status_writer.write,
            name="status-commits",
            max_batch=settings.group_commit_max_batch,
            concurrency=STATUS_COMMIT_CONCURRENCY,
        )
        self.webhook_spool = Spool(
            settings.spool_dir / WEBHOOK_SPOOL_FOLDER,
            kind="webhooks",
            decode=SpooledWebhook.from_json,
        )
        self.webhook_replay = WebhookReplay(self.pool, self.webhook_spool, self.status_writer)
        self.webhooks = TwilioWebhooks(
            self.pool,
            self.statuses,
            self.webhook_spool,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            public_base=settings.public_base,
        )
        self.recovery = Recovery(
            self.pool,
            self.state,
            [
                (self.writer.replay_spool, self.spool),
                (self.webhook_replay.replay_spool, self.webhook_spool),
            ],
            timeout=timeout,
        )
        self.places = PollingPlacePages(self.pool, maps_search_url=str(settings.maps_search_url))
        self.redirects = Redirects(
            directory=self.directory,
            resolver=self.resolver,
            clicks=self.clicks,
            repeats=RepeatWindow(settings.repeat_window_seconds),
            addresses=ClientAddresses(settings.trusted_proxies),
            hasher=IpHasher(settings.ip_hash_key.get_secret_value().encode()),
            own_base=settings.public_base,
            deliveries=self.deliveries,
            too_soon_seconds=settings.too_soon_seconds,
        )
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.spool.open()
        self.webhook_spool.open()
        self.statuses.start()
        self.clicks.start()
        self.directory.start()
        warmed = await self._connect_and_warm()
        if not await self.resolver.load():
            log.warning("started without routes; links answer 503 until they load")
        elif not self.resolver.published:
            log.warning(
                "no routes published yet; links answer 503 until the routing job publishes them"
                " (checked every second)"
            )
        self._spawn(self.recovery.run_forever, "spool-recovery")
        self._spawn(self.resolver.refresh_forever, "resolver-refresh")
        self._spawn(self.deliveries.refresh_forever, "deliveries-refresh")
        # The warm cache and the routes live as long as the worker. Left to the cyclic garbage
        # collector, every full collection would walk them all: a pause of about 100 ms per
        # 50k links, felt by every request in flight.
        gc.freeze()
        # A request leaves a few dozen short-lived objects behind; at Python's default of a
        # young-generation collection every 700 allocations, the collector ran every dozen
        # requests. Every 20,000 measured about 8% more redirects per second, same memory.
        gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])
        log.info("link server worker ready: %d links cached", warmed)

    async def _connect_and_warm(self) -> int:
        """Open the pool and load the newest links; the links cached.

        ``campaign serve`` refuses to start without PostgreSQL, but a worker can also start
        during an outage (the ASGI server respawning one that died). Failing then would make
        the server's crash-loop guard stop every worker, so the worker starts with the breaker
        open instead: webhooks and clicks on links it knows go to the spool, other links answer
        503, and the recovery task closes the breaker when PostgreSQL answers.
        """
        await self.pool.open(wait=False)
        try:
            if not await self.recovery.probe():
                raise TimeoutError("PostgreSQL did not answer at start-up")
            warmed = await self.directory.warm(self.settings.cache_warm)
            await self.deliveries.refresh()
        except UNREACHABLE as e:
            self.state.mark_down(e)
            log.warning("started without PostgreSQL; links not cached answer 503 until it returns")
            return 0
        return warmed

    async def stop(self) -> None:
        await self.clicks.close()
        await self.statuses.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            # A background task that died of an error must not cut the drain short.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.state.reachable:
            with contextlib.suppress(*UNREACHABLE):
                await self.writer.replay_spool()
                await self.webhook_replay.replay_spool()
        await self.spool.seal()
        await self.webhook_spool.seal()
        await self.writer.close()
        await self.directory.close()
        await self.pool.close()
        writer = self.writer
        log.info(
            "link server worker stopped: %d clicks committed in %d batches (%.1f ms each),"
            " %d spooled",
            writer.committed,
            writer.batches,
            1000 * writer.commit_seconds / max(1, writer.batches),
            writer.spooled,
        )

    async def health(self) -> dict[str, Any]:
        reachable = await self.recovery.probe()
        return {
            "status": "ok" if reachable else "degraded",
            "database": "reachable" if reachable else "unreachable",
            "spool_files": len(self.spool.files()) + len(self.webhook_spool.files()),
            "cached_links": self.directory.cached,
            "pending_clicks": self.clicks.pending,
        }

    def _spawn(self, work: Callable[[], Any], name: str) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(work(), name=name))
