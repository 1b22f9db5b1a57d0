"""After a message is accepted: queued, then sent, then delivered or undelivered.

Each step waits its configured delay, updates the stored message and, if the message has a
StatusCallback, posts a signed callback. Callbacks can be duplicated (same idempotency token, like
a Twilio retry) or held and posted newest first, so tests can prove our handling is idempotent and
order-independent. A message dropped by a reset stops at its next step.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from campaign_pipelines.fake_twilio.errors import UNDELIVERED_CODE, UNDELIVERED_MESSAGE
from campaign_pipelines.fake_twilio.faults import Fate
from campaign_pipelines.fake_twilio.messages import price_of, segments_of
from campaign_pipelines.fake_twilio.options import FakeTwilioOptions
from campaign_pipelines.fake_twilio.state import FakeTwilio
from campaign_pipelines.fake_twilio.store import Message, utc_now
from campaign_pipelines.fake_twilio.webhooks import status_callback_params


async def progress(fake: FakeTwilio, accepted: Message, fate: Fate) -> None:
    """Walk ``accepted`` through its statuses, posting callbacks as configured."""
    options = fake.options
    segments = accepted.num_segments or segments_of(accepted.body, media=accepted.num_media)
    final = "undelivered" if fate is Fate.UNDELIVERED else "delivered"
    steps = (
        ("queued", options.queued_delay),
        ("sent", options.sent_delay),
        (final, options.delivered_delay),
    )

    held: list[Message] = []
    for status, delay in steps:
        await asyncio.sleep(delay)
        changes = _changes(status, accepted, segments, options)
        message = fake.store.update(accepted.sid, **changes)
        if message is None:
            return
        if message.status_callback is None:
            continue
        if options.reorder_callbacks:
            held.append(message)
        else:
            await post_status(fake, message, options)

    for message in reversed(held):
        await post_status(fake, message, options)


async def post_status(fake: FakeTwilio, message: Message, options: FakeTwilioOptions) -> None:
    """Post one status callback (twice if duplicates are configured)."""
    if message.status_callback is None:
        return
    params = status_callback_params(message)
    token = str(uuid.uuid4())
    for _ in range(2 if options.duplicate_callbacks else 1):
        await fake.webhooks.post(
            message.status_callback,
            params,
            auth_token=options.auth_token,
            kind="status",
            sid=message.sid,
            event=message.status,
            idempotency_token=token,
        )


def _changes(
    status: str, accepted: Message, segments: int, options: FakeTwilioOptions
) -> dict[str, Any]:
    if status == "queued":
        sender = accepted.from_ or options.service_sender
        return {"status": status, "from_": sender, "num_segments": segments}
    if status == "sent":
        return {"status": status, "date_sent": utc_now(), "price": price_of(segments, options)}
    if status == "undelivered":
        return {
            "status": status,
            "error_code": UNDELIVERED_CODE,
            "error_message": UNDELIVERED_MESSAGE,
        }
    return {"status": status}
