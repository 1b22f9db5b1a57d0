"""Group commit: many requests wait on one write.

Each request hands its item to ``GroupBatcher.submit`` and awaits the result. ``concurrency``
flusher tasks each write whatever has queued up, in one call, whenever they are free: while
commits are on their way to disk the next batch gathers, so under load a batch holds about
(arrival rate x commit time / concurrency) items and one fsync serves all of them. Several
flushers keep the disk busy: PostgreSQL flushes the commits of concurrent transactions together,
so a click waits for about one fsync, not for the batches ahead of it. With ``max_delay`` a
flusher also waits that long for company before writing a batch smaller than ``max_batch``.

An item that has been submitted is always written, even if its caller went away, and on
``close`` everything pending is written before the flusher stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class BatcherClosed(RuntimeError):
    """An item arrived after the batcher was closed for shutdown."""


class GroupBatcher(Generic[Item, Result]):
    """Collects items from concurrent callers and flushes them together, one batch at a time."""

    def __init__(
        self,
        flush: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        *,
        name: str,
        max_batch: int,
        max_delay: float = 0.0,
        concurrency: int = 1,
    ) -> None:
        self._flush = flush
        self._name = name
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._ready = asyncio.Event()
        self._full = asyncio.Event()
        self._closing = False
        self._concurrency = concurrency
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        # Kept, so that a submit does not ask for the running loop: in CPython 3.11 that costs
        # a getpid() system call, and a submit happens on every click.
        self._loop = loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run(), name=f"{self._name}-{n}")
            for n in range(self._concurrency)
        ]

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` and wait until the batch holding it has been flushed."""
        if self._closing or self._loop is None:
            raise BatcherClosed(f"{self._name} is shutting down or not started")
        future: asyncio.Future[Result] = self._loop.create_future()
        self._queue.append((item, future))
        if len(self._queue) >= self._max_batch:
            self._full.set()
        if not self._ready.is_set():
            self._ready.set()
        return await future

    async def close(self) -> None:
        """Flush everything already submitted, then stop the flusher."""
        self._closing = True
        self._ready.set()
        self._full.set()
        await asyncio.gather(*self._tasks)

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            if not self._queue and not self._closing:
                self._ready.clear()
                continue
            if self._max_delay and not self._closing and len(self._queue) < self._max_batch:
                await self._gather_company()
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            if len(self._queue) < self._max_batch:
                self._full.clear()
            if not self._queue and not self._closing:
                self._ready.clear()
            if batch:
                await self._write(batch)
            if self._closing and not self._queue:
                return

    async def _gather_company(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self._max_delay)

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as e:
            # The callers answer for it: each request turns the error into its response.
            for _, future in batch:
                if not future.done():
                    future.set_exception(e)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
