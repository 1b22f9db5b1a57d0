"""What a fake Twilio server is configured with; the ``/_fake/config`` endpoint swaps these live."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from campaign_pipelines.fake_twilio.faults import FaultRules

ACCOUNT_SID_PATTERN = re.compile(r"^AC[0-9a-fA-F]{32}$")

# Clearly fake credentials for local use; the server accepts exactly the pair it was started with.
LOCAL_ACCOUNT_SID = "AC00000000000000000000000000000000"
LOCAL_AUTH_TOKEN = "fake-twilio-local-auth-token"

# Twilio's documented magic test sender; the fake assigns it to Messaging Service sends.
SERVICE_SENDER = "+15005550006"


@dataclass(frozen=True)
class FakeTwilioOptions:
    """Behaviour of the fake: limits, injected faults, callback timing and callback quirks.

    ``rate_limit`` is messages per second (``None`` for no limit) with bursts of ``burst``.
    Status callbacks go out ``queued_delay``, then ``sent_delay``, then ``delivered_delay`` seconds
    apart. ``duplicate_callbacks`` posts each callback twice (same idempotency token, as a Twilio
    retry would); ``reorder_callbacks`` holds a message's callbacks and posts them newest first
    (delivered, sent, queued), the worst order a congested network can produce.
    ``record_traffic`` keeps every REST exchange for spec-conformance tests.
    """

    account_sid: str = LOCAL_ACCOUNT_SID
    auth_token: str = LOCAL_AUTH_TOKEN
    rate_limit: float | None = None
    burst: int | None = None
    rules: FaultRules = field(default_factory=FaultRules)
    queued_delay: float = 0.0
    sent_delay: float = 0.05
    delivered_delay: float = 0.05
    duplicate_callbacks: bool = False
    reorder_callbacks: bool = False
    callback_timeout: float = 5.0
    price_per_segment: Decimal = Decimal("0.00790")
    price_unit: str = "USD"
    service_sender: str = SERVICE_SENDER
    record_traffic: bool = False

    def __post_init__(self) -> None:
        if not ACCOUNT_SID_PATTERN.match(self.account_sid):
            raise ValueError(f"account_sid must be AC and 32 hex digits, got {self.account_sid!r}")
        if not self.auth_token:
            raise ValueError("auth_token must not be empty")
