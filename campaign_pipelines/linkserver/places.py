"""``/p/{destination_key}``: the campaign's own page for a polling place in the catalog.

Entries are read from ``destinations`` and kept for a minute (and served from memory while
PostgreSQL is away), so an address corrected in the catalog shows within a minute.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import Response

from campaign_pipelines.db.schema import destinations
from campaign_pipelines.linkserver import pages
from campaign_pipelines.linkserver.database import UNREACHABLE, run_pooled

DESTINATION = (
    f"SELECT {', '.join(column.name for column in destinations.columns)}"
    " FROM destinations WHERE destination_key = %s"
)
TTL_SECONDS = 60.0
MAX_ENTRIES = 20_000
MAX_KEY_LENGTH = 200


class PollingPlacePages:
    def __init__(self, pool: AsyncConnectionPool, *, maps_search_url: str) -> None:
        self._pool = pool
        self._maps_search_url = maps_search_url
        self._entries: OrderedDict[str, tuple[Mapping[str, Any] | None, float]] = OrderedDict()

    async def page(self, request: Request) -> Response:
        key: str = request.path_params["key"]
        head_only = request.method == "HEAD"
        # No key holds a NUL (PostgreSQL text cannot), so one is simply not found.
        if not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
            return pages.not_found(head_only=head_only)
        cached = self._entries.get(key)
        destination = cached[0] if cached else None
        if cached is None or time.monotonic() - cached[1] > TTL_SECONDS:
            try:
                destination = await self._read(key)
            except UNREACHABLE:
                if cached is None:
                    return pages.unavailable(head_only=head_only)
            else:
                self._remember(key, destination)
        if destination is None:
            return pages.not_found(head_only=head_only)
        return pages.polling_place(
            destination, maps_search_url=self._maps_search_url, head_only=head_only
        )

    async def _read(self, key: str) -> Mapping[str, Any] | None:
        async def select(conn: psycopg.AsyncConnection) -> Mapping[str, Any] | None:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(DESTINATION, (key,))
                return await cur.fetchone()

        return await run_pooled(self._pool, select)

    def _remember(self, key: str, destination: Mapping[str, Any] | None) -> None:
        self._entries[key] = (destination, time.monotonic())
        self._entries.move_to_end(key)
        if len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
