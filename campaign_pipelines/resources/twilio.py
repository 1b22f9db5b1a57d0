"""``TwilioResource``: the campaign's Twilio account, through the official ``twilio`` client."""

from __future__ import annotations

import os

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from campaign_pipelines.messaging.twilio_gateway import TwilioGateway

ACCOUNT_SID_ENV = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
BASE_URL_ENV = "TWILIO_BASE_URL"
STATUS_CALLBACK_ENV = "TWILIO_STATUS_CALLBACK_URL"


class TwilioResource(ConfigurableResource):
    """Sends a wave's texts and answers "did this message go out?" for the exactly-once sender.

    ``auth_token`` comes from ``TWILIO_AUTH_TOKEN`` as an ``EnvVar`` (hidden in the UI, never in
    a repr or a log). ``base_url`` points the client at a Twilio-compatible server instead of
    api.twilio.com: the local fake (``campaign fake-twilio``) in tests and the demo.
    ``status_callback_url`` is the link server's delivery-report webhook.
    """

    account_sid: str = Field(description="Twilio account SID (AC...).")
    auth_token: str = Field(repr=False, description="Twilio auth token; set through an EnvVar.")
    base_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8099 for the local fake; None for Twilio."
    )
    status_callback_url: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    lookup_settle_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long after a create Twilio's message list is trusted to show it.",
    )
    workers: int = Field(default=4, ge=1, le=64, description="Concurrent API requests.")

    def gateway(self) -> TwilioGateway:
        return TwilioGateway(
            account_sid=self.account_sid,
            auth_token=self.auth_token,
            base_url=self.base_url,
            status_callback=self.status_callback_url,
            timeout_seconds=self.timeout_seconds,
        )


def twilio_from_env() -> TwilioResource:
    """The resource for ``definitions.py``: credentials always as ``EnvVar``; the base URL and
    callback URL only when set, so an unset ``TWILIO_BASE_URL`` means the real Twilio."""
    named = {"base_url": BASE_URL_ENV, "status_callback_url": STATUS_CALLBACK_ENV}
    optional = {field: EnvVar(name) for field, name in named.items() if os.environ.get(name)}
    return TwilioResource(
        account_sid=EnvVar(ACCOUNT_SID_ENV), auth_token=EnvVar(AUTH_TOKEN_ENV), **optional
    )
