"""The errors the fake answers with, in Twilio's REST error shape.

Every error body is ``{"code", "message", "more_info", "status"}`` (401 adds ``detail``), which the
official client turns into ``TwilioRestException(status, uri, msg, code)``::

    TwilioApiError
    ├── 401 20003  wrong account SID or auth token
    ├── 404 20404  no such resource
    ├── 429 20429  over the configured messages-per-second rate
    └── 400        a message Twilio refuses at once
        ├── 21211  invalid 'To' number (or listed as invalid by a fault rule)
        ├── 21602  no Body and no MediaUrl
        ├── 21603  neither From nor MessagingServiceSid
        ├── 21604  no To
        ├── 21609  StatusCallback is not an http(s) URL
        ├── 21610  recipient replied STOP (or listed as unsubscribed)
        └── 21617  body over 1,600 characters

``UNDELIVERED_CODE`` (30007, carrier filtering) is not an HTTP error: the message is accepted and
ends ``undelivered`` in its status callback.
"""

from __future__ import annotations

from typing import Any

UNDELIVERED_CODE = 30007
UNDELIVERED_MESSAGE = "Carrier violation"


class TwilioApiError(Exception):
    """A refusal, rendered as the JSON body and HTTP status Twilio would send."""

    def __init__(self, status: int, code: int, message: str, *, detail: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        if self.detail is not None:
            body["detail"] = self.detail
        return body


def authentication_failed() -> TwilioApiError:
    return TwilioApiError(
        401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
    )


def not_found(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


def too_many_requests() -> TwilioApiError:
    return TwilioApiError(429, 20429, "Too Many Requests")


def invalid_to() -> TwilioApiError:
    return TwilioApiError(400, 21211, "Invalid 'To' Phone Number")


def missing_body() -> TwilioApiError:
    return TwilioApiError(400, 21602, "Message body is required.")


def missing_from() -> TwilioApiError:
    return TwilioApiError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")


def missing_to() -> TwilioApiError:
    return TwilioApiError(400, 21604, "A 'To' phone number is required.")


def invalid_status_callback() -> TwilioApiError:
    return TwilioApiError(400, 21609, "Invalid StatusCallback URL")


def unsubscribed() -> TwilioApiError:
    return TwilioApiError(400, 21610, "Attempt to send to unsubscribed recipient")


def body_too_long() -> TwilioApiError:
    return TwilioApiError(
        400, 21617, "The concatenated message body exceeds the 1600 character limit."
    )
