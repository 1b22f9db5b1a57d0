"""A local, Twilio-compatible Messages API for tests, demos and crash drills.

The official ``twilio`` client talks to it unchanged (see ``client.local_client``). It keeps
everything in memory and, like Twilio, answers with SIDs, statuses, segment counts, prices and
RFC 2822 dates, posts signed status callbacks and inbound-reply webhooks, rate-limits with 429,
and refuses or loses chosen recipients (21610, 21211, 30007). ``/_fake/`` endpoints inspect and
steer it.

    server.run / serve_in_thread ──> app.create_app(FakeTwilio)
        api        Twilio's Messages create / fetch / list, HTTP basic auth
        control    /_fake/ inspect, reset, configure, simulate replies
        messages   accept or refuse an outbound message, record an inbound one
                   (segments counted by campaign_pipelines.rules.sms_segments)
        faults     which recipients are refused (21610, 21211) or lost (30007)
        lifecycle  queued -> sent -> delivered | undelivered, with status callbacks
        webhooks   signed form posts (status callbacks, inbound messages)
        state      FakeTwilio: options, store, rate limit, logs, background tasks
"""

from campaign_pipelines.fake_twilio.client import local_client
from campaign_pipelines.fake_twilio.faults import FaultRules
from campaign_pipelines.fake_twilio.options import (
    LOCAL_ACCOUNT_SID,
    LOCAL_AUTH_TOKEN,
    FakeTwilioOptions,
)
from campaign_pipelines.fake_twilio.server import RunningFakeTwilio, run, serve_in_thread
from campaign_pipelines.fake_twilio.state import FakeTwilio

__all__ = [
    "LOCAL_ACCOUNT_SID",
    "LOCAL_AUTH_TOKEN",
    "FakeTwilio",
    "FakeTwilioOptions",
    "FaultRules",
    "RunningFakeTwilio",
    "local_client",
    "run",
    "serve_in_thread",
]
