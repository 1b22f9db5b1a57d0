"""Twilio's Messages API through the official client, reduced to what a wave needs.

``create`` never raises for a per-message problem; it answers with one of four outcomes::

    Outcome
    ├── Accepted   Twilio created the message (its SID); delivery arrives by status callback
    ├── Refused    a permanent error for this recipient; do not try this number again
    │              21610 unsubscribed · 21211 invalid number · 21614 not a mobile number
    │              21612 not reachable by SMS
    ├── Throttled  429 / 20429: nothing was created; wait and try again
    └── Unclear    a timeout, a dropped connection or a 5xx: Twilio may or may not have created
                   the message, so the only safe next step is ``find`` (never a blind resend)

Anything else Twilio refuses (bad credentials, unknown Messaging Service, a malformed request)
is the account's problem, not the voter's, and raises ``AccountError`` to stop the wave.
``find`` lists messages to one number and picks ours out by the voter's unique short link.

Phone numbers, bodies and the auth token are never logged: the SDK's own request log (which
prints list filters, i.e. phone numbers) is raised to WARNING.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

_sdk_log = logging.getLogger(__name__ + ".http")
_sdk_log.setLevel(logging.WARNING)

# Per-recipient refusals and the reason recorded on the send.
RECIPIENT_ERRORS = {
    21610: "suppressed",
    21211: "invalid_number",
    21614: "not_mobile",
    21612: "unreachable",
}
LOOKUP_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Accepted:
    sid: str


@dataclass(frozen=True, slots=True)
class Refused:
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Throttled:
    status: int


@dataclass(frozen=True, slots=True)
class Unclear:
    why: str


Outcome = Accepted | Refused | Throttled | Unclear


class AccountError(RuntimeError):
    """Twilio refused a request for a reason no retry or other recipient will fix."""


class LookupFailed(RuntimeError):
    """Twilio could not be asked about a message just now (throttled, 5xx, network)."""


@dataclass(frozen=True)
class TwilioGateway:
    """Thread-safe: each sending thread gets its own client (and HTTP connection pool)."""

    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str | None = None
    status_callback: str | None = None
    timeout_seconds: float = 10.0
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"base_url must look like http://127.0.0.1:8099, got {self.base_url!r}"
                )

    def create(self, *, to: str, body: str, messaging_service_sid: str) -> Outcome:
        params = {"to": to, "body": body, "messaging_service_sid": messaging_service_sid}
        if self.status_callback:
            params["status_callback"] = self.status_callback
        try:
            message = self._client().messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as e:
            return _refusal(e)
        except requests.RequestException as e:
            return Unclear(type(e).__name__)
        return Accepted(message.sid)

    def find(self, *, to: str, marker: str, since: datetime) -> list[str]:
        """SIDs of outbound messages to ``to`` created at or after ``since`` whose body contains
        ``marker``, oldest first. Not filtered on DateSent: a message still queued has none."""
        try:
            listed = self._client().messages.list(
                to=to, limit=LOOKUP_PAGE_SIZE, page_size=LOOKUP_PAGE_SIZE
            )
        except (TwilioRestException, TwilioServiceException) as e:
            if e.status == 429 or e.status >= 500:
                raise LookupFailed(f"Twilio answered HTTP {e.status} to a lookup") from e
            raise AccountError(f"Twilio refused a lookup: HTTP {e.status}, code {e.code}") from e
        except requests.RequestException as e:
            raise LookupFailed(f"lookup failed: {type(e).__name__}") from e
        # The marker must end where a link code ends, so "/abc" never matches "/abcd".
        pattern = re.compile(re.escape(marker) + r"(?![A-Za-z0-9_-])")
        ours = [
            m
            for m in listed
            if (m.direction or "").startswith("outbound")
            and pattern.search(m.body or "")
            and (m.date_created is None or m.date_created >= since)
        ]
        return [m.sid for m in sorted(ours, key=lambda m: m.date_created or since)]

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._new_client()
            self._local.client = client
        return client

    def _new_client(self) -> Client:
        http_client = TwilioHttpClient(logger=_sdk_log, timeout=self.timeout_seconds)
        client = Client(self.account_sid, self.auth_token, http_client=http_client)
        if self.base_url is not None:
            # A Twilio-compatible server (the local fake): the SDK resolves every URL, paging
            # included, from the API domain's base_url; edge and region would rewrite the host.
            if http_client.session is not None:
                http_client.session.trust_env = False
            client.edge = None
            client.region = None
            client.api.base_url = self.base_url.rstrip("/")
        return client


def _refusal(error: TwilioRestException | TwilioServiceException) -> Outcome:
    status, code = int(error.status), int(error.code or 0)
    if status == 429:
        return Throttled(status)
    if status >= 500:
        return Unclear(f"HTTP {status}")
    if code in RECIPIENT_ERRORS:
        return Refused(code, RECIPIENT_ERRORS[code])
    raise AccountError(f"Twilio refused a message: HTTP {status}, code {code}") from error
