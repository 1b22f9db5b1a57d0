"""``FakeTwilio``: one fake account's options, messages, logs and pending background work."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from campaign_pipelines.fake_twilio.options import FakeTwilioOptions
from campaign_pipelines.fake_twilio.rate_limit import TokenBucket
from campaign_pipelines.fake_twilio.store import MessageStore
from campaign_pipelines.fake_twilio.traffic import TrafficLog
from campaign_pipelines.fake_twilio.webhooks import WebhookLog, WebhookSender

logger = logging.getLogger(__name__)


class FakeTwilio:
    """Everything the server knows. Safe to read and configure from any thread.

    Background work (status progressions, webhook posts) runs on the server's event loop between
    ``open()`` and ``close()``, which the app's lifespan calls.
    """

    def __init__(self, options: FakeTwilioOptions | None = None) -> None:
        self._lock = threading.Lock()
        self._options = options or FakeTwilioOptions()
        self._bucket = TokenBucket(self._options.rate_limit, burst=self._options.burst)
        self.store = MessageStore()
        self.webhook_log = WebhookLog()
        self.traffic = TrafficLog()
        self._sender: WebhookSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def options(self) -> FakeTwilioOptions:
        with self._lock:
            return self._options

    def configure(self, **changes: Any) -> FakeTwilioOptions:
        """Replace some ``FakeTwilioOptions``; a new rate limit starts with a full bucket."""
        with self._lock:
            options = replace(self._options, **changes)
            if {"rate_limit", "burst"} & changes.keys():
                self._bucket = TokenBucket(options.rate_limit, burst=options.burst)
            self._options = options
        logger.info("Reconfigured: %s", ", ".join(sorted(changes)) or "nothing")
        return options

    def admit_message(self) -> bool:
        """Take a send slot from the rate limit; False means answer 429."""
        with self._lock:
            bucket = self._bucket
        return bucket.try_acquire()

    def reset(self) -> int:
        """Forget messages, logs and traffic (options stay); returns how many messages were dropped.

        Progressions still running for dropped messages stop at their next step.
        """
        dropped = self.store.clear()
        self.webhook_log.clear()
        self.traffic.clear()
        with self._lock:
            self._bucket = TokenBucket(self._options.rate_limit, burst=self._options.burst)
        logger.info("Reset: dropped %d messages", dropped)
        return dropped

    @property
    def webhooks(self) -> WebhookSender:
        if self._sender is None:
            raise RuntimeError("FakeTwilio is not open: webhooks are sent only while it serves")
        return self._sender

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background on the current event loop, keeping a reference to it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def pending(self) -> int:
        """Background tasks not yet finished (progressions and their callbacks)."""
        return len(self._tasks)

    async def open(self) -> None:
        self._sender = WebhookSender(self.webhook_log, timeout=self.options.callback_timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._sender is not None:
            await self._sender.aclose()
            self._sender = None

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Nothing awaits these tasks, so this is the only place their failure can surface.
            logger.error("Background task failed", exc_info=task.exception())
