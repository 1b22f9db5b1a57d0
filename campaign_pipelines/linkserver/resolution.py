"""Click-time resolution: the shared resolver, kept fresh, and the last check on where it sends.

The resolver comes from the routing package: ``load_resolver(conn)`` reads the published routes
and destinations into memory, and only ever returns allow-listed ``https`` URLs or the campaign's
own pages. The server loads it at start-up and again every ``LINK_RESOLVER_REFRESH_SECONDS``,
keeping the previous one whenever a reload fails, so routing goes on while PostgreSQL is away.
Until routes have been published (a server started before the routing job ran, or one that
could not load them at all) it tries again every second, so its first visitors are not answered
503 for a whole refresh interval.
``safe_location`` is the second guard: whatever the resolver returns, a visitor is only ever
sent to an ``https`` URL or to a page of this server, and the header carries no character a
browser could read differently.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import Connection

from campaign_pipelines.db.session import engine_for
from campaign_pipelines.routing.resolve import Resolution, Resolver

log = logging.getLogger(__name__)

UNPUBLISHED_RELOAD_SECONDS = 1.0
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
# Characters a Location header may carry as they are; anything else (non-ASCII) is escaped.
_LOCATION_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


ResolverLoader = Callable[[Connection], Resolver]


class ResolverUnavailable(RuntimeError):
    """No resolver could be loaded yet (PostgreSQL was away when the worker started)."""


class CurrentResolver:
    """The resolver in use; ``refresh_forever`` swaps in a newly loaded one every interval."""

    def __init__(self, loader: ResolverLoader, database_url: str, *, refresh_seconds: float):
        self._loader = loader
        self._database_url = database_url
        self._refresh_seconds = refresh_seconds
        self._resolver: Resolver | None = None
        self._failing = False

    def resolve(
        self, link: Mapping[str, Any], *, now: datetime, zip_code: str | None = None
    ) -> Resolution:
        if self._resolver is None:
            raise ResolverUnavailable("no routes loaded yet")
        return self._resolver.resolve(link, now=now, zip_code=zip_code)

    async def load(self) -> bool:
        """Load a fresh resolver; on failure keep the current one and return False."""
        try:
            self._resolver = await asyncio.to_thread(self._load)
        except Exception as e:
            if not self._failing:
                log.warning("could not load routes (%s); keeping the last ones", type(e).__name__)
            self._failing = True
            return False
        if self._failing:
            log.info("routes loaded again")
        self._failing = False
        return True

    @property
    def published(self) -> bool:
        """Whether routes are loaded and published (a policy to route by)."""
        return self._resolver is not None and self._resolver.policy is not None

    async def refresh_forever(self) -> None:
        while True:
            interval = self._refresh_seconds
            if not self.published:
                interval = min(interval, UNPUBLISHED_RELOAD_SECONDS)
            await asyncio.sleep(interval)
            await self.load()

    def _load(self) -> Resolver:
        with engine_for(self._database_url).connect() as conn:
            return self._loader(conn)


@lru_cache(maxsize=65_536)
def safe_location(url: str, *, own_base: str) -> str | None:
    """``url`` ready for a Location header, or None if a visitor must not be sent there.

    Allowed: ``https`` URLs with a host and no user info, paths on this server (``/p/...``) and
    URLs under this server's public base (which may be plain ``http`` in development).
    """
    if not url or _UNSAFE.search(url):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return quote(url, safe=_LOCATION_SAFE)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    own = url == own_base or url.startswith(own_base + "/")
    if (parts.scheme != "https" and not own) or not parts.hostname or "@" in parts.netloc:
        return None
    return quote(url, safe=_LOCATION_SAFE)
