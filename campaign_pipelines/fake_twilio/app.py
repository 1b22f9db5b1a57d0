"""The fake's ASGI application: Twilio's Messages API plus the ``/_fake/`` control endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from campaign_pipelines.fake_twilio import api, control
from campaign_pipelines.fake_twilio.control import BadControlRequest
from campaign_pipelines.fake_twilio.errors import TwilioApiError
from campaign_pipelines.fake_twilio.state import FakeTwilio
from campaign_pipelines.fake_twilio.traffic import TrafficRecorder

# Twilio's codes for the routing errors Starlette raises under the API prefix.
ROUTING_CODES = {404: 20404, 405: 20004}


def create_app(fake: FakeTwilio) -> Starlette:
    """An app serving ``fake``; its lifespan opens and closes the fake's background work."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await fake.open()
        try:
            yield
        finally:
            await fake.close()

    app = Starlette(
        routes=[*api.ROUTES, *control.ROUTES],
        middleware=[
            Middleware(
                TrafficRecorder, log=fake.traffic, enabled=lambda: fake.options.record_traffic
            )
        ],
        exception_handlers={
            TwilioApiError: _twilio_error,
            HTTPException: _http_error,
            BadControlRequest: _bad_control_request,
        },
        lifespan=lifespan,
    )
    app.state.fake = fake
    return app


async def _twilio_error(request: Request, exc: TwilioApiError) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    fake.store.record_rejection(exc.code)
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if exc.status == 401 else None
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if request.url.path.startswith("/_fake/"):
        body = {"error": exc.detail}
    else:
        code = ROUTING_CODES.get(exc.status_code, exc.status_code)
        body = TwilioApiError(exc.status_code, code, f"{exc.detail}: {request.url.path}").body()
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _bad_control_request(request: Request, exc: BadControlRequest) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)
