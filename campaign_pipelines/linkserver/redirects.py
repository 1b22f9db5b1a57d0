"""``GET|HEAD /{code}``: find the link, resolve it for this moment, record the click, redirect.

The click is durable (committed, or fsync'd to the spool) before the 302 goes out; if neither
could take it the visitor gets a 503 and no redirect. Unknown codes get the 404 page and write
nothing; disabled or expired links get the 410 page, once their click (with no destination) is
recorded. A link whose route needs a ZIP code gets a small form that comes back here with
``?zip=NNNNN``; that visit is a click too, with its ZIP.

This is a plain ASGI endpoint rather than a Starlette request handler: it runs for every click,
so it answers the redirect with two ASGI messages instead of building request and response
objects.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from campaign_pipelines.linkserver import pages
from campaign_pipelines.linkserver.batcher import BatcherClosed, GroupBatcher
from campaign_pipelines.linkserver.cache import NOT_CACHED, Link, LinkDirectory
from campaign_pipelines.linkserver.database import DatabaseUnavailable
from campaign_pipelines.linkserver.deliveries import RecentDeliveries
from campaign_pipelines.linkserver.privacy import ClientAddresses, IpHasher
from campaign_pipelines.linkserver.records import ClickRecord, new_click_uuid
from campaign_pipelines.linkserver.repeats import RepeatWindow
from campaign_pipelines.linkserver.resolution import (
    CurrentResolver,
    ResolverUnavailable,
    safe_location,
)
from campaign_pipelines.rules.bots import classify_click

log = logging.getLogger(__name__)

# Minted codes are nine base62 characters; vanity codes for shared placements add hyphens.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
ZIP = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?")
# The resolver's rule when no routes are published yet: a passing state, so "try again".
NOT_PUBLISHED = "not_published"
MAX_STORED_HEADER = 512  # characters of user agent or referer kept with a click

_REDIRECT_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-length", b"0"),
]


class Redirects:
    """The ASGI endpoint for short links."""

    def __init__(
        self,
        *,
        directory: LinkDirectory,
        resolver: CurrentResolver,
        clicks: GroupBatcher[ClickRecord, None],
        repeats: RepeatWindow,
        addresses: ClientAddresses,
        hasher: IpHasher,
        own_base: str,
        deliveries: RecentDeliveries,
        too_soon_seconds: float,
    ) -> None:
        self._directory = directory
        self._resolver = resolver
        self._clicks = clicks
        self._repeats = repeats
        self._addresses = addresses
        self._hasher = hasher
        self._own_base = own_base
        self._deliveries = deliveries
        self._too_soon_seconds = too_soon_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        code: str = scope["path_params"]["code"]
        head_only = scope["method"] == "HEAD"
        if not CODE.fullmatch(code):
            await pages.not_found(head_only=head_only)(scope, receive, send)
            return
        link = self._directory.find_cached(code)
        if link is NOT_CACHED:
            try:
                link = await self._directory.look_up(code)
            except DatabaseUnavailable:
                await pages.unavailable(head_only=head_only)(scope, receive, send)
                return
        if link is None:
            await pages.not_found(head_only=head_only)(scope, receive, send)
            return

        now = datetime.now(UTC)
        expires_at = link["expires_at"]
        if link["status"] != "active" or (expires_at is not None and expires_at <= now):
            # Still a visit to record (people tapping a link taken down is worth knowing); the
            # click has no destination, and the 410 page follows once it is durable.
            if await self._record(self._click(scope, link, now, None, None)):
                await pages.gone(head_only=head_only)(scope, receive, send)
            else:
                await pages.unavailable(head_only=head_only)(scope, receive, send)
            return
        await self._answer(scope, receive, send, link, now)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, link: Link, now: datetime
    ) -> None:
        head_only = scope["method"] == "HEAD"
        zip_given, zip_code = _zip_parameter(scope["query_string"])
        try:
            resolution = self._resolver.resolve(link, now=now, zip_code=zip_code)
        except ResolverUnavailable:
            await pages.unavailable(head_only=head_only)(scope, receive, send)
            return
        location = None
        if resolution.url is not None and not resolution.needs_zip:
            location = safe_location(resolution.url, own_base=self._own_base)
            if location is None:
                log.error(
                    "link %s resolved to an unsafe destination by rule %s; refused",
                    link["link_id"],
                    resolution.rule,
                )
                await pages.gone(head_only=head_only)(scope, receive, send)
                return

        if not await self._record(self._click(scope, link, now, location, zip_code)):
            await pages.unavailable(head_only=head_only)(scope, receive, send)
            return

        if location is not None:
            headers = [(b"location", location.encode()), *_REDIRECT_HEADERS]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        elif resolution.needs_zip:
            error = "Please enter a five-digit ZIP code." if zip_given else None
            response = pages.zip_form(link["code"], error=error, head_only=head_only)
            await response(scope, receive, send)
        elif resolution.rule == NOT_PUBLISHED:
            await pages.unavailable(head_only=head_only)(scope, receive, send)
        else:
            await pages.gone(head_only=head_only)(scope, receive, send)

    async def _record(self, click: ClickRecord) -> bool:
        """Whether ``click`` is durable (committed or spooled); if not, the visitor gets a 503."""
        try:
            await self._clicks.submit(click)
        except (BatcherClosed, OSError):
            return False
        return True

    def _click(
        self, scope: Scope, link: Link, now: datetime, location: str | None, zip_code: str | None
    ) -> ClickRecord:
        user_agent = referer = forwarded_for = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")[:MAX_STORED_HEADER]
            elif name == b"referer":
                referer = value.decode("latin-1")[:MAX_STORED_HEADER]
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
        peer = scope["client"][0] if scope.get("client") else None
        ip_hash = self._hasher.hash(self._addresses.client(peer, forwarded_for))

        link_id = link["link_id"]
        method = scope["method"]
        clock = time.monotonic()
        seen = self._repeats.seen_recently(link_id, ip_hash, user_agent, clock)
        verdict = classify_click(
            method,
            user_agent,
            seconds_since_delivery=self._deliveries.seconds_since(link_id, now),
            seen_recently=seen,
            too_soon_seconds=self._too_soon_seconds,
        )
        if verdict.is_human:
            self._repeats.remember(link_id, ip_hash, user_agent, clock)
        return ClickRecord(
            click_uuid=new_click_uuid(),
            link_id=link_id,
            clicked_at=now,
            method=method,
            user_agent=user_agent,
            referer=referer,
            ip_hash=ip_hash,
            is_human=verdict.is_human,
            reason=verdict.reason,
            destination_url=location,
            zip_code=zip_code,
        )


def _zip_parameter(query_string: bytes) -> tuple[bool, str | None]:
    """Whether a ``zip`` parameter was given, and its value if it is five digits."""
    if not query_string:
        return False, None
    # The whole query string is read (the server's header buffer bounds it): a ZIP after other
    # parameters, however many a messaging app appends, still counts.
    for name, value in parse_qsl(query_string.decode("latin-1")):
        if name == "zip":
            match = ZIP.fullmatch(value.strip())
            return True, match.group(1) if match else None
    return False, None
