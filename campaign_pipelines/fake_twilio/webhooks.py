"""Signed webhooks, posted the way Twilio posts them: status callbacks and inbound messages.

Each is a form-encoded POST whose ``X-Twilio-Signature`` is Twilio's HMAC-SHA1 over the URL and
the sorted parameters, keyed by the account's auth token, so the receiver can check it with
``twilio.request_validator.RequestValidator``. A callback that fails is logged and not retried:
Twilio does not retry status callbacks either.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from campaign_pipelines.fake_twilio.resources import API_VERSION
from campaign_pipelines.fake_twilio.store import Message

logger = logging.getLogger(__name__)

USER_AGENT = "TwilioProxy/1.1"
MAX_IN_FLIGHT = 32  # webhook connections open at once; the rest wait their turn


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST the fake made: which message, which event, and how the receiver answered."""

    kind: str  # "status" or "inbound"
    sid: str
    event: str  # the MessageStatus (or SmsStatus) that was posted
    url: str
    idempotency_token: str
    http_status: int | None
    error: str | None = None


class WebhookLog:
    """Thread-safe record of every webhook attempt, in the order they were made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[WebhookAttempt] = []

    def add(self, attempt: WebhookAttempt) -> None:
        with self._lock:
            self._attempts.append(attempt)

    def attempts(self) -> list[WebhookAttempt]:
        with self._lock:
            return list(self._attempts)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(attempt) for attempt in self.attempts()]

    def clear(self) -> None:
        with self._lock:
            self._attempts.clear()


class WebhookSender:
    """Posts signed webhooks from the server's event loop; create and close it inside that loop."""

    def __init__(self, log: WebhookLog, *, timeout: float) -> None:
        self._log = log
        # Webhooks go to local receivers: never through a proxy from the environment (aiohttp
        # reads none unless asked). A burst of sends queues its callbacks for one of
        # MAX_IN_FLIGHT connections: a webhook is late under load, never lost.
        timeouts = aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout)
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT),
            timeout=timeouts,
            skip_auto_headers=("User-Agent",),
        )

    async def post(
        self,
        url: str,
        params: dict[str, str],
        *,
        auth_token: str,
        kind: str,
        sid: str,
        event: str,
        idempotency_token: str | None = None,
    ) -> WebhookAttempt:
        token = idempotency_token or str(uuid.uuid4())
        headers = {
            "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
            "I-Twilio-Idempotency-Token": token,
            "User-Agent": USER_AGENT,
        }
        try:
            async with self._http.post(url, data=params, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            attempt = WebhookAttempt(kind, sid, event, url, token, None, type(e).__name__)
            logger.warning("%s webhook for %s (%s) failed: %s", kind, sid, event, type(e).__name__)
        else:
            attempt = WebhookAttempt(kind, sid, event, url, token, status)
            logger.debug("%s webhook for %s (%s): HTTP %d", kind, sid, event, status)
        self._log.add(attempt)
        return attempt

    async def aclose(self) -> None:
        await self._http.close()


def status_callback_params(message: Message) -> dict[str, str]:
    """The parameters Twilio posts to a message's StatusCallback (no body, by design)."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    if message.status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = message.date_updated.strftime("%y%m%d%H%M")
    return params


def inbound_params(message: Message) -> dict[str, str]:
    """The parameters Twilio posts to a number's messaging webhook when a reply arrives."""
    to_country = "US" if message.to.startswith("+1") else ""
    from_country = "US" if message.from_ and message.from_.startswith("+1") else ""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "Body": message.body,
        "From": message.from_ or "",
        "FromCity": "",
        "FromCountry": from_country,
        "FromState": "",
        "FromZip": "",
        "MessageSid": message.sid,
        "NumMedia": str(message.num_media),
        "NumSegments": str(message.num_segments),
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "To": message.to,
        "ToCity": "",
        "ToCountry": to_country,
        "ToState": "",
        "ToZip": "",
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    return params
