"""The ASGI application: routes, request limits and the worker's lifespan.

``create_app`` builds it from settings (the factory the ASGI server imports in each worker reads
them from the environment). Paths the server answers itself come before ``/{code}``; the link
codes the routing package mints can never take them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from campaign_pipelines.linkserver import pages
from campaign_pipelines.linkserver.runtime import LinkServer
from campaign_pipelines.linkserver.settings import LinkServerSettings, load_settings

MAX_HEADERS = 64
ROBOTS = "User-agent: *\nDisallow: /\n"


class HeaderLimits:
    """Refuses requests with too many or too large headers (431) before any route runs."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_count: int = MAX_HEADERS) -> None:
        self.app = app
        self._max_bytes = max_bytes
        self._max_count = max_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > self._max_count or size > self._max_bytes:
                response = PlainTextResponse("Request header fields too large", status_code=431)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: LinkServerSettings | None = None) -> Starlette:
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
    routes = [
        Route("/healthz", health, methods=["GET"]),
        Route("/robots.txt", robots, methods=["GET"]),
        Route("/twilio/status", server.webhooks.status, methods=["POST"], max_body_size=limit),
        Route("/twilio/inbound", server.webhooks.inbound, methods=["POST"], max_body_size=limit),
        Route("/p/{key:path}", server.places.page, methods=["GET"]),
        Route("/{code}", server.redirects, methods=["GET", "HEAD"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found},
        middleware=[Middleware(HeaderLimits, max_bytes=settings.max_header_bytes)],
    )
    app.state.server = server
    return app
