"""One claimed text, from the pacer to a final outcome: the part of sending that runs on the
sender's threads.

``deliver`` tries a row until it has an answer it can record::

    window shut meanwhile ─► deferred (or skipped, if the wave closes first)
    Accepted ─► sent      Refused ─► failed (with Twilio's code and our reason)
    Throttled ─► wait (exponential backoff with jitter) and try again
    Unclear ─► wait for Twilio to settle, look the text up:
               found ─► sent, with its SID        not found ─► try again
    lookups failing ─► left 'submitting' for the next run to settle
    out of attempts ─► back to planned, due in five minutes (Twilio confirmed it has nothing)

Once one text gives up or hits an account error the rest of its batch stops too: an outage is
one problem, not one per voter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaign_pipelines.messaging.pacing import Pacer, backoff_seconds
from campaign_pipelines.messaging.policy import SendPolicy
from campaign_pipelines.messaging.send_states import Claimed, Transition
from campaign_pipelines.messaging.texting_hours import Opening, next_opening
from campaign_pipelines.messaging.twilio_gateway import (
    Accepted,
    AccountError,
    LookupFailed,
    Outcome,
    Refused,
    Throttled,
    TwilioGateway,
    Unclear,
)

# Twilio's clock and ours need not agree to the second when matching a looked-up text.
CLOCK_SLACK = timedelta(minutes=5)
# A text Twilio would not take (outage, account problem) waits this long before the sensor
# offers it to another run, so an outage is not retried every minute.
RETRY_LATER = timedelta(minutes=5)


@dataclass(slots=True)
class Tries:
    calls: int = 0
    throttled: int = 0
    unclear: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    transition: Transition
    tries: Tries
    segments: int = 0
    resolved: bool = False
    duplicates: int = 0
    gave_up: bool = False
    account_error: str | None = None


class Deliverer:
    """Thread-safe: shared by every sending thread of a run."""

    def __init__(
        self,
        gateway: TwilioGateway,
        policy: SendPolicy,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
    ) -> None:
        self.gateway = gateway
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.pacer = Pacer(policy.segments_per_second, sleep=sleep)
        self.closes: dict[tuple[str | None, str | None], datetime] = {}
        self.first_call: float | None = None
        self.last_accept: float | None = None
        # Set when Twilio cannot be reached or refuses the account: the rest of the batch stops
        # at once instead of each text waiting out its own retries.
        self.halted = threading.Event()

    def opening(
        self, now: datetime, timezone: str | None, home_state: str | None
    ) -> Opening | None:
        return next_opening(
            now,
            timezone or self.policy.campaign_timezone,
            self.policy.hours_for(home_state),
            opens_at=self.policy.opens_at,
            closes_at=self.policy.closes_at,
        )

    def deliver(self, row: Claimed) -> Delivery:
        tries = Tries()
        closes = self.closes.get((row.timezone, row.home_state))
        for attempt in range(self.policy.max_attempts):
            if self.halted.is_set():
                return self._give_up(row, tries)
            now = self.clock()
            if closes is None or now >= closes:
                opening = self.opening(now, row.timezone, row.home_state)
                if opening is None or opening.send_from > now:
                    return Delivery(_held_back(row, opening, tries), tries)
                closes = opening.send_until
            try:
                outcome = self._create(row)
            except AccountError as e:
                self.halted.set()
                return Delivery(self._back(row, tries), tries, account_error=str(e))
            tries.calls += 1
            match outcome:
                case Accepted(sid):
                    return self._sent(row, sid, tries, at=self.clock())
                case Refused(code, reason):
                    failed = Transition(
                        row.send_id, "failed", tries.calls, error_code=str(code),
                        error_reason=reason, to_phone=row.to_phone,
                    )  # fmt: skip
                    return Delivery(failed, tries)
                case Throttled():
                    tries.throttled += 1
                    self.sleep(backoff_seconds(attempt))
                case Unclear():
                    tries.unclear += 1
                    settled = self._settle_unclear(row, now, attempt, tries)
                    if settled is not None:
                        return settled
        return self._give_up(row, tries)

    def lookup(self, to: str, marker: str, since: datetime) -> list[str]:
        """Twilio's SIDs for our text to ``to``, retrying lookups Twilio cannot answer now."""
        for attempt in range(self.policy.max_attempts):
            try:
                return self.gateway.find(to=to, marker=marker, since=since - CLOCK_SLACK)
            except LookupFailed:
                if attempt == self.policy.max_attempts - 1:
                    raise
                self.sleep(backoff_seconds(attempt))
        return []

    def _create(self, row: Claimed) -> Outcome:
        self.pacer.acquire(row.segments)
        if self.first_call is None:
            self.first_call = time.monotonic()
        return self.gateway.create(
            to=row.to_phone, body=row.body, messaging_service_sid=self.policy.messaging_service_sid
        )

    def _settle_unclear(
        self, row: Claimed, since: datetime, attempt: int, tries: Tries
    ) -> Delivery | None:
        """After a timeout or 5xx: wait for Twilio to settle, then ask it. None means Twilio has
        no such text and the caller may try again."""
        self.sleep(max(backoff_seconds(attempt), self.policy.settle_seconds))
        try:
            found = self.lookup(row.to_phone, row.marker, since)
        except LookupFailed:
            self.halted.set()
            unknown = Transition(row.send_id, "submitting", tries.calls)
            return Delivery(unknown, tries, gave_up=True)
        if not found:
            return None
        # The attempt Twilio took was made at ``since``, inside the voter's hours.
        return self._sent(row, found[0], tries, at=since, resolved=True, duplicates=len(found) - 1)

    def _sent(self, row: Claimed, sid: str, tries: Tries, *, at: datetime, **flags) -> Delivery:
        self.last_accept = time.monotonic()
        done = Transition(row.send_id, "sent", tries.calls, message_sid=sid, sent_at=at)
        return Delivery(done, tries, segments=row.segments, **flags)

    def _give_up(self, row: Claimed, tries: Tries) -> Delivery:
        """Every attempt Twilio answered said it has no such text: back to planned, later."""
        self.halted.set()
        return Delivery(self._back(row, tries), tries, gave_up=True)

    def _back(self, row: Claimed, tries: Tries) -> Transition:
        later = self.clock() + RETRY_LATER
        return Transition(row.send_id, "planned", tries.calls, not_before=later)


def _held_back(row: Claimed, opening: Opening | None, tries: Tries) -> Transition:
    if opening is None:
        return Transition(row.send_id, "skipped", tries.calls, error_reason="wave_window_closed")
    return Transition(row.send_id, "deferred", tries.calls, not_before=opening.send_from)
