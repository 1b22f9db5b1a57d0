"""What the fake does with a message: accept or refuse an outbound one, record an inbound one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from campaign_pipelines.fake_twilio import errors
from campaign_pipelines.fake_twilio.faults import Fate
from campaign_pipelines.fake_twilio.options import FakeTwilioOptions
from campaign_pipelines.fake_twilio.store import Message, MessageStore, new_sid, utc_now
from campaign_pipelines.rules.sms_segments import count_segments

MAX_BODY_CHARS = 1600


def accept_outbound(
    store: MessageStore,
    options: FakeTwilioOptions,
    form: Mapping[str, str],
    *,
    media_urls: Sequence[str] = (),
) -> tuple[Message, Fate]:
    """Validate a Messages create request as Twilio does and store the new message.

    Raises ``TwilioApiError`` for a request Twilio would refuse outright. A message sent through a
    Messaging Service without ``From`` starts ``accepted`` with no sender and ``num_segments`` 0,
    as on Twilio; the sender is assigned when it is queued.
    """
    to = form.get("To", "").strip()
    from_ = form.get("From") or None
    service_sid = form.get("MessagingServiceSid") or None
    body = form.get("Body", "")
    callback = form.get("StatusCallback") or None
    if not to:
        raise errors.missing_to()
    if from_ is None and service_sid is None:
        raise errors.missing_from()
    if not body and not media_urls:
        raise errors.missing_body()
    if len(body) > MAX_BODY_CHARS:
        raise errors.body_too_long()
    if callback is not None and not is_http_url(callback):
        raise errors.invalid_status_callback()

    fate = options.rules.fate(to)
    if fate is Fate.INVALID:
        raise errors.invalid_to()
    if fate is Fate.UNSUBSCRIBED:
        raise errors.unsubscribed()

    now = utc_now()
    awaiting_sender = from_ is None
    message = Message(
        sid=new_sid("MM" if media_urls else "SM"),
        account_sid=options.account_sid,
        to=to,
        from_=from_,
        body=body,
        status="accepted" if awaiting_sender else "queued",
        direction="outbound-api",
        num_segments=0 if awaiting_sender else segments_of(body, media=len(media_urls)),
        date_created=now,
        date_updated=now,
        messaging_service_sid=service_sid,
        status_callback=callback,
        num_media=len(media_urls),
        price_unit=options.price_unit,
    )
    return store.add(message), fate


def record_inbound(
    store: MessageStore,
    options: FakeTwilioOptions,
    *,
    from_: str,
    to: str,
    body: str,
    messaging_service_sid: str | None = None,
) -> Message:
    """Store a reply a voter sent to one of our numbers, as Twilio logs a received message."""
    now = utc_now()
    segments = segments_of(body)
    message = Message(
        sid=new_sid("SM"),
        account_sid=options.account_sid,
        to=to,
        from_=from_,
        body=body,
        status="received",
        direction="inbound",
        num_segments=segments,
        date_created=now,
        date_updated=now,
        date_sent=now,
        messaging_service_sid=messaging_service_sid,
        price=price_of(segments, options),
        price_unit=options.price_unit,
    )
    return store.add(message)


def segments_of(body: str, *, media: int = 0) -> int:
    """The ``num_segments`` Twilio reports: SMS segments of the body, or 1 for an MMS."""
    if media:
        return 1
    return count_segments(body).segments


def price_of(segments: int, options: FakeTwilioOptions) -> str:
    """Twilio's price string: negative (a charge), five decimals, e.g. ``-0.01580``."""
    return f"{-options.price_per_segment * segments:.5f}"


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
