"""The fake's own endpoints under ``/_fake/`` (not Twilio's): inspect, reset, configure, reply.

- ``GET  /_fake/messages``  every message, oldest first, with bodies and callback URLs
- ``GET  /_fake/stats``     counts: messages, by status, outbound sends per recipient, refusals
- ``GET  /_fake/webhooks``  every webhook the fake posted and the HTTP status it got back (null
  when the receiver could not be reached)
- ``POST /_fake/reset``     forget messages, logs and traffic (configuration stays)
- ``GET|PUT /_fake/config`` read or change limits, fault rules and callback behaviour (JSON)
- ``POST /_fake/inbound``   a voter's reply: From, To, Body and the webhook Url to post it to
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from campaign_pipelines.fake_twilio.faults import FaultRules
from campaign_pipelines.fake_twilio.messages import is_http_url, record_inbound
from campaign_pipelines.fake_twilio.options import FakeTwilioOptions
from campaign_pipelines.fake_twilio.resources import message_resource
from campaign_pipelines.fake_twilio.state import FakeTwilio
from campaign_pipelines.fake_twilio.webhooks import inbound_params

logger = logging.getLogger(__name__)

# Options the control API may change; credentials are fixed for a server's lifetime.
NUMBERS = ("rate_limit", "burst", "queued_delay", "sent_delay", "delivered_delay")
NULLABLE = ("rate_limit", "burst")
FLAGS = ("duplicate_callbacks", "reorder_callbacks", "record_traffic")
SETTABLE = NUMBERS + FLAGS
RULE_LISTS = ("unsubscribed", "invalid", "undelivered")


class BadControlRequest(ValueError):
    """A control request the fake cannot apply; answered with 400 and the reason."""


async def list_messages(request: Request) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    rows = [
        {**message_resource(message), "status_callback": message.status_callback}
        for message in fake.store.all()
    ]
    return JSONResponse({"messages": rows})


async def stats(request: Request) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    attempts = fake.webhook_log.attempts()
    unreachable = sum(1 for attempt in attempts if attempt.http_status is None)
    webhooks = {
        "posted": len(attempts),
        "unreachable": unreachable,
        "pending_tasks": fake.pending(),
    }
    return JSONResponse({**fake.store.counts(), "webhooks": webhooks})


async def webhooks(request: Request) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    return JSONResponse({"webhooks": fake.webhook_log.as_dicts()})


async def reset(request: Request) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    return JSONResponse({"dropped": fake.reset()})


async def config(request: Request) -> JSONResponse:
    fake: FakeTwilio = request.app.state.fake
    if request.method == "PUT":
        changes = config_changes(await _payload(request), fake.options)
        try:
            fake.configure(**changes)
        except ValueError as e:
            raise BadControlRequest(str(e)) from e
    return JSONResponse(config_view(fake.options))


async def inbound(request: Request) -> JSONResponse:
    """Simulate a reply: store it as a received message and post Twilio's signed webhook."""
    fake: FakeTwilio = request.app.state.fake
    payload = await _payload(request)
    missing = [name for name in ("From", "To", "Body", "Url") if not payload.get(name)]
    if missing:
        raise BadControlRequest(f"inbound needs From, To, Body and Url; missing {missing}")
    if not is_http_url(payload["Url"]):
        raise BadControlRequest("inbound Url must be an absolute http(s) URL")

    options = fake.options
    message = record_inbound(
        fake.store,
        options,
        from_=payload["From"],
        to=payload["To"],
        body=payload["Body"],
        messaging_service_sid=payload.get("MessagingServiceSid") or None,
    )
    attempt = await fake.webhooks.post(
        payload["Url"],
        inbound_params(message),
        auth_token=options.auth_token,
        kind="inbound",
        sid=message.sid,
        event="received",
    )
    logger.info("Inbound %s posted: HTTP %s", message.sid, attempt.http_status)
    return JSONResponse({"sid": message.sid, "http_status": attempt.http_status})


def config_view(options: FakeTwilioOptions) -> dict[str, Any]:
    """The settable options and fault rules as JSON (never the credentials)."""
    rules = options.rules
    return {
        **{name: getattr(options, name) for name in SETTABLE},
        "rules": {
            **{name: sorted(getattr(rules, name)) for name in RULE_LISTS},
            "unsubscribed_fraction": rules.unsubscribed_fraction,
            "invalid_fraction": rules.invalid_fraction,
            "undelivered_fraction": rules.undelivered_fraction,
            "seed": rules.seed,
        },
    }


def config_changes(payload: dict[str, Any], current: FakeTwilioOptions) -> dict[str, Any]:
    """Option changes from a partial config document; ``rules`` replaces the given rule fields."""
    unknown = set(payload) - {*SETTABLE, "rules"}
    if unknown:
        raise BadControlRequest(f"unknown settings {sorted(unknown)}; settable: {list(SETTABLE)}")
    changes = {name: value for name, value in payload.items() if name != "rules"}
    for name, value in changes.items():
        _check_setting(name, value)
    if "rules" in payload:
        rule_fields = {field.name for field in fields(FaultRules)}
        given = payload["rules"]
        if not isinstance(given, dict) or set(given) - rule_fields:
            raise BadControlRequest(f"rules must be an object with keys from {sorted(rule_fields)}")
        for name, value in given.items():
            _check_rule(name, value)
        merged = {**config_view(current)["rules"], **given}
        try:
            changes["rules"] = FaultRules.of(**merged)
        except ValueError as e:
            raise BadControlRequest(str(e)) from e
    return changes


def _check_setting(name: str, value: Any) -> None:
    if name in FLAGS and not isinstance(value, bool):
        raise BadControlRequest(f"{name} must be true or false, got {value!r}")
    if name not in NUMBERS or (value is None and name in NULLABLE):
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BadControlRequest(f"{name} must be a non-negative number, got {value!r}")


def _check_rule(name: str, value: Any) -> None:
    if name in RULE_LISTS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise BadControlRequest(f"rules.{name} must be a list of phone numbers")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise BadControlRequest(f"rules.{name} must be a number, got {value!r}")


async def _payload(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    try:
        payload = json.loads(raw or b"{}")
    except json.JSONDecodeError as e:
        raise BadControlRequest(f"body is neither a form nor JSON: {e}") from e
    if not isinstance(payload, dict):
        raise BadControlRequest("body must be a JSON object")
    return payload


ROUTES = [
    Route("/_fake/messages", list_messages, methods=["GET"]),
    Route("/_fake/stats", stats, methods=["GET"]),
    Route("/_fake/webhooks", webhooks, methods=["GET"]),
    Route("/_fake/reset", reset, methods=["POST"]),
    Route("/_fake/config", config, methods=["GET", "PUT"]),
    Route("/_fake/inbound", inbound, methods=["POST"]),
]
