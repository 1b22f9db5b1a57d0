"""Links by code: a warm in-process cache in front of batched look-ups in PostgreSQL.

The cache keeps up to ``cache_size`` links (least recently used go first) and, apart, a smaller
list of codes that do not exist, so a probe repeated cannot evict real links. An entry older
than its time-to-live is still served and refreshed in the background, which is also what lets
the server redirect from memory while PostgreSQL is away.

Enumeration: every code answers after the same work whatever it looks like. A code not in the
cache costs one indexed look-up, batched with its neighbours, whether it exists or not; the 404
page is the same for a malformed, unknown, or never-minted code. Python hashes strings with a
per-process random key, so the cost of a cache probe says nothing about how close a guess is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from campaign_pipelines.db.schema import links
from campaign_pipelines.linkserver.batcher import GroupBatcher
from campaign_pipelines.linkserver.database import (
    UNREACHABLE,
    DatabaseState,
    DatabaseUnavailable,
    HeldConnection,
)
from campaign_pipelines.routing.resolve import prepare_link

log = logging.getLogger(__name__)

Link = Mapping[str, Any]

# Every column, so the resolver sees the row as the table has it.
LINK_COLUMNS = ", ".join(column.name for column in links.columns)
LINKS_BY_CODE = f"SELECT {LINK_COLUMNS} FROM links WHERE code = ANY(%s)"
NEWEST_LINKS = f"SELECT {LINK_COLUMNS} FROM links ORDER BY link_id DESC LIMIT %s"
REFRESH_INTERVAL_SECONDS = 1.0
NOT_CACHED = object()  # find_cached: the code is not in the cache, look it up
_LOOKUP_BATCH = 500


class LinkCache:
    """Bounded LRU of links by code, with a separate bounded, short-lived list of misses."""

    def __init__(self, *, size: int, ttl: float, miss_size: int, miss_ttl: float) -> None:
        self._links: OrderedDict[str, tuple[Link, float]] = OrderedDict()
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._size, self._ttl = size, ttl
        self._miss_size, self._miss_ttl = miss_size, miss_ttl

    def __len__(self) -> int:
        return len(self._links)

    def get(self, code: str, now: float) -> tuple[Link | None, bool] | None:
        """(link or None for a known miss, whether it is stale), or None when not cached."""
        entry = self._links.get(code)
        if entry is not None:
            self._links.move_to_end(code)
            return entry[0], now - entry[1] > self._ttl
        missed_at = self._misses.get(code)
        if missed_at is not None and now - missed_at <= self._miss_ttl:
            return None, False
        return None

    def put(self, code: str, link: Link | None, now: float) -> None:
        if link is None:
            self._links.pop(code, None)
            if self._miss_size:
                self._misses[code] = now
                self._misses.move_to_end(code)
                if len(self._misses) > self._miss_size:
                    self._misses.popitem(last=False)
            return
        self._misses.pop(code, None)
        self._links[code] = (link, now)
        self._links.move_to_end(code)
        if len(self._links) > self._size:
            self._links.popitem(last=False)


class LinkDirectory:
    """Finds a link by code: cache first, else one batched query shared by concurrent misses."""

    def __init__(
        self, pool: AsyncConnectionPool, state: DatabaseState, cache: LinkCache, *, timeout: float
    ) -> None:
        self._pool = pool
        self._state = state
        self._cache = cache
        self._timeout = timeout
        self._conn = HeldConnection(pool, timeout=timeout)
        self._lookups: GroupBatcher[str, Link | None] = GroupBatcher(
            self._look_up, name="link-lookups", max_batch=_LOOKUP_BATCH
        )
        self._stale: set[str] = set()
        self._refresher: asyncio.Task[None] | None = None

    @property
    def cached(self) -> int:
        return len(self._cache)

    def start(self) -> None:
        self._lookups.start()
        self._refresher = asyncio.get_running_loop().create_task(
            self._refresh_forever(), name="link-refresh"
        )

    async def close(self) -> None:
        await self._lookups.close()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self._conn.release()

    async def warm(self, count: int) -> int:
        """Load the ``count`` newest links: the waves being texted now."""
        if count <= 0:
            return 0
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(NEWEST_LINKS, (count,))
            rows = await cur.fetchall()
        now = time.monotonic()
        for row in reversed(rows):
            self._cache.put(row["code"], prepare_link(row), now)
        return len(rows)

    def find_cached(self, code: str) -> Link | object | None:
        """The cached link with ``code``, None for a cached miss, or ``NOT_CACHED`` (then the
        caller awaits ``look_up``): a click on a warm link needs no coroutine."""
        cached = self._cache.get(code, time.monotonic())
        if cached is None:
            return NOT_CACHED
        link, stale = cached
        if stale:
            self._stale.add(code)
        return link

    async def look_up(self, code: str) -> Link | None:
        """The link with ``code`` from PostgreSQL (batched with concurrent look-ups), now cached;
        raises ``DatabaseUnavailable`` while PostgreSQL is away."""
        self._state.require()
        link = await self._lookups.submit(code)
        self._cache.put(code, link, time.monotonic())
        return link

    async def _look_up(self, codes: list[str]) -> list[Link | None]:
        unique = list(dict.fromkeys(codes))

        async def select(conn: psycopg.AsyncConnection) -> list[dict]:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(LINKS_BY_CODE, (unique,))
                return await cur.fetchall()

        try:
            async with asyncio.timeout(self._timeout):
                rows = await self._conn.run(select)
        except UNREACHABLE as e:
            await self._conn.release()
            self._state.mark_down(e)
            raise DatabaseUnavailable("link look-up failed") from e
        found = {row["code"]: prepare_link(row) for row in rows}
        return [found.get(code) for code in codes]

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_INTERVAL_SECONDS)
            if not self._stale or not self._state.reachable:
                continue
            codes, self._stale = list(self._stale)[:_LOOKUP_BATCH], set()
            try:
                links = await asyncio.gather(*(self._lookups.submit(code) for code in codes))
            except Exception:
                continue  # keep serving what we have; the breaker has logged the outage
            now = time.monotonic()
            for code, link in zip(codes, links, strict=True):
                self._cache.put(code, link, now)
