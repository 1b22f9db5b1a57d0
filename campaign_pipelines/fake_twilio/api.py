"""Twilio's Messages endpoints: create, fetch and list, behind HTTP basic auth.

Paths, parameters and response bodies follow Twilio's OpenAPI description of the 2010-04-01 API
(``twilio_api_v2010.yaml`` in the shared data); errors use Twilio's REST error shape.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from urllib.parse import parse_qsl

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from campaign_pipelines.fake_twilio import errors
from campaign_pipelines.fake_twilio.lifecycle import progress
from campaign_pipelines.fake_twilio.messages import accept_outbound
from campaign_pipelines.fake_twilio.options import FakeTwilioOptions
from campaign_pipelines.fake_twilio.resources import (
    API_VERSION,
    PageRequest,
    list_filters,
    message_page,
    message_resource,
    sent_filter,
)
from campaign_pipelines.fake_twilio.state import FakeTwilio

logger = logging.getLogger(__name__)


async def messages(request: Request) -> JSONResponse:
    """``POST`` sends a message; ``GET`` lists them, newest first."""
    fake: FakeTwilio = request.app.state.fake
    options = fake.options
    account_sid = _authenticate(request, options)
    if request.method == "GET":
        return _list(fake, account_sid, request)

    if not fake.admit_message():
        raise errors.too_many_requests()
    form = ImmutableMultiDict(
        parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True)
    )
    message, fate = accept_outbound(fake.store, options, form, media_urls=form.getlist("MediaUrl"))
    fake.spawn(progress(fake, message, fate))
    logger.debug("Accepted %s (%d segments)", message.sid, message.num_segments)
    return JSONResponse(message_resource(message), status_code=201)


async def message(request: Request) -> JSONResponse:
    """``GET`` one message by SID."""
    fake: FakeTwilio = request.app.state.fake
    account_sid = _authenticate(request, fake.options)
    found = fake.store.get(request.path_params["sid"])
    if found is None or found.account_sid != account_sid:
        raise errors.not_found(request.url.path)
    return JSONResponse(message_resource(found))


def _list(fake: FakeTwilio, account_sid: str, request: Request) -> JSONResponse:
    query = dict(request.query_params)
    filters = list_filters(query)
    paging = PageRequest.parse(query)
    selected = fake.store.select(
        account_sid,
        to=filters.get("To"),
        from_=filters.get("From"),
        sent=sent_filter(filters),
    )
    return JSONResponse(message_page(account_sid, selected, filters, paging))


def _authenticate(request: Request, options: FakeTwilioOptions) -> str:
    """The account SID in the path, if the Basic credentials are exactly that account's."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.authentication_failed() from None
    username, _, password = decoded.partition(":")
    account_sid = request.path_params["account_sid"]
    matches = (
        _same(username, options.account_sid)
        & _same(password, options.auth_token)
        & _same(account_sid, options.account_sid)
    )
    if scheme.lower() != "basic" or not matches:
        raise errors.authentication_failed()
    return account_sid


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


ACCOUNT = f"/{API_VERSION}/Accounts/{{account_sid}}"
ROUTES = [
    Route(f"{ACCOUNT}/Messages.json", messages, methods=["GET", "POST"]),
    Route(f"{ACCOUNT}/Messages/{{sid}}.json", message, methods=["GET"]),
]
