"""The ASGI application: routes, the short-link fast path, request limits, and the lifespan.

``create_app`` builds it from settings (the factory the ASGI server imports in each worker reads
them from the environment). The paths the server answers itself are named routes; every other
single-segment path is a link code (the routing package never mints one of those names).

``FrontDoor`` is the outermost ASGI app: it refuses oversized headers, and hands
``GET|HEAD /{code}`` straight to the redirect endpoint, with its own last-resort 500; everything
else goes to Starlette. Going through Starlette's middleware, router and exception layers costs
about a third of the app's time per click, and a click is nearly every request this server
gets; the ``/{code}`` route stays for the other methods (405).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from campaign_pipelines.linkserver import pages
from campaign_pipelines.linkserver.lifeline import stop_with_parent
from campaign_pipelines.linkserver.runtime import LinkServer
from campaign_pipelines.linkserver.settings import LinkServerSettings, load_settings

log = logging.getLogger(__name__)

MAX_HEADERS = 64
ROBOTS = "User-agent: *\nDisallow: /\n"
_ONE_SEGMENT = re.compile(r"/([^/]+)")
_INTERNAL_ERROR = PlainTextResponse("Internal Server Error", status_code=500)


class FrontDoor:
    """Header limits for every request (431), and the fast path for short links.

    ``state`` is the Starlette app's, so ``create_app(...).state.server`` reaches the worker's
    ``LinkServer`` whichever layer is outermost.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        links: ASGIApp,
        own_paths: Collection[str],
        max_header_bytes: int,
        max_headers: int = MAX_HEADERS,
    ) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self._links = links
        self._own_paths = frozenset(own_paths)
        self._max_bytes = max_header_bytes
        self._max_count = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        size = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > self._max_count or size > self._max_bytes:
            response = PlainTextResponse("Request header fields too large", status_code=431)
            await response(scope, receive, send)
            return

        path = scope["path"]
        if scope["method"] in ("GET", "HEAD") and path not in self._own_paths:
            segment = _ONE_SEGMENT.fullmatch(path)
            if segment is not None:
                scope["path_params"] = {"code": segment.group(1)}
                await self._redirect(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _redirect(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._links(scope, receive, send)
        except Exception:
            # What Starlette's error middleware would do, without its cost on every click.
            log.exception("short link request failed")
            # The redirect endpoint answers only at its very end, so the response has not
            # started; if it somehow had, the server refuses this second start, and that is all.
            with contextlib.suppress(Exception):
                await _INTERNAL_ERROR(scope, receive, send)


def create_app(settings: LinkServerSettings | None = None) -> FrontDoor:
    """The link server app, configured from the environment unless ``settings`` are given."""
    settings = settings or load_settings()
    server = LinkServer(settings)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    async def health(_: Request) -> Response:
        return JSONResponse(await server.health(), headers={"cache-control": "no-store"})

    async def robots(_: Request) -> Response:
        return PlainTextResponse(ROBOTS)

    async def not_found(request: Request, _: Exception) -> Response:
        return pages.not_found(head_only=request.method == "HEAD")

    limit = settings.max_body_bytes
    own_routes = [
        Route("/healthz", health, methods=["GET"]),
        Route("/robots.txt", robots, methods=["GET"]),
        Route("/twilio/status", server.webhooks.status, methods=["POST"], max_body_size=limit),
        Route("/twilio/inbound", server.webhooks.inbound, methods=["POST"], max_body_size=limit),
        Route("/p/{key:path}", server.places.page, methods=["GET"]),
    ]
    app = Starlette(
        routes=[*own_routes, Route("/{code}", server.redirects, methods=["GET", "HEAD"])],
        lifespan=lifespan,
        exception_handlers={404: not_found},
    )
    # Starlette would answer "/code/" with a 307 to the same path without the slash, built from
    # the request's own Host header: a redirect to wherever the client says. No redirect leaves
    # this server except to a link's destination, so those paths get the 404 page instead.
    app.router.redirect_slashes = False
    app.state.server = server
    return FrontDoor(
        app,
        links=server.redirects,
        own_paths=[route.path for route in own_routes],
        max_header_bytes=settings.max_header_bytes,
    )


def create_worker_app() -> FrontDoor:
    """The factory ``campaign serve`` gives the ASGI server: ``create_app`` in a worker process
    that stops (gracefully) if the server's main process is killed."""
    stop_with_parent()
    return create_app()
