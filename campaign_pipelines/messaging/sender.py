"""Send one wave: settle what a crashed run left, plan intents, then claim, send and record.

One sender per wave at a time (a PostgreSQL advisory lock keeps a second run out)::

    settle stranded ─► plan ─► ┌ hold: defer groups whose hours are shut, skip the suppressed
                               │ claim a batch (committed as 'submitting')
                               │ deliver it on a thread pool, paced in segments per second
                               └ record the batch's outcomes ─► repeat until nothing is due

Texts leave only while each voter's local clock is inside their state's hours and the wave's
window is open; a voter whose window shuts mid-batch is deferred, not texted late. At the
sender's daily cap the rest wait for the next local midnight. Every decision that depends on
the time uses ``clock`` (UTC), so tests can stand at 20:59 on the night clocks change. Logs
carry counts only.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from campaign_pipelines.messaging import send_states as states
from campaign_pipelines.messaging.delivery import Deliverer, Delivery
from campaign_pipelines.messaging.policy import SendPolicy
from campaign_pipelines.messaging.send_states import Stranded, Transition
from campaign_pipelines.messaging.twilio_gateway import AccountError, TwilioGateway

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProviderUnavailable(RuntimeError):
    """Twilio kept answering 429/5xx or timing out; the wave stops and a re-run resumes it."""


@dataclass
class SendReport:
    """What one run did, in counts (never numbers or bodies)."""

    planned: int = 0
    sent: int = 0
    segments_sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    deferred: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    resolved_sent: int = 0
    resolved_requeued: int = 0
    calls: int = 0  # create requests, answered or not: what the rate limit counts
    throttled: int = 0
    unclear: int = 0
    duplicates_seen: int = 0
    first_call: float | None = None
    last_accept: float | None = None

    @property
    def send_seconds(self) -> float:
        if self.first_call is None or self.last_accept is None:
            return 0.0
        return self.last_accept - self.first_call

    @property
    def achieved_per_second(self) -> float:
        """Texts Twilio accepted per second of sending."""
        return self.sent / self.send_seconds if self.send_seconds > 0 else 0.0

    @property
    def requests_per_second(self) -> float:
        """Create requests per second, refused ones included: the figure a cap is held to."""
        return self.calls / self.send_seconds if self.send_seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "segments": self.segments_sent,
            "failed": dict(self.failed),
            "skipped": dict(self.skipped),
            "deferred": self.deferred,
            "resolved_by_lookup": self.resolved_sent,
            "requeued_after_lookup": self.resolved_requeued,
            "throttled_retries": self.throttled,
            "unclear_outcomes": self.unclear,
            "messages_per_second_achieved": round(self.achieved_per_second, 2),
            "requests_per_second": round(self.requests_per_second, 2),
        }

    def add(self, delivery: Delivery) -> None:
        t = delivery.transition
        self.calls += delivery.tries.calls
        self.throttled += delivery.tries.throttled
        self.unclear += delivery.tries.unclear
        self.duplicates_seen += delivery.duplicates
        if t.state == "sent":
            self.sent += 1
            self.segments_sent += delivery.segments
            self.resolved_sent += delivery.resolved
        elif t.state == "failed":
            self.failed[t.error_reason or "unknown"] += 1
        elif t.state == "deferred":
            self.deferred += 1
        elif t.state == "skipped":
            self.skipped[t.error_reason or "unknown"] += 1


class WaveSender:
    """Sends one wave through ``gateway`` under ``policy``; ``run`` may be called again safely."""

    def __init__(
        self,
        engine: Engine,
        gateway: TwilioGateway,
        policy: SendPolicy,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.deliverer = Deliverer(gateway, policy, clock=clock, sleep=sleep)
        self._cap_left: int | None = None

    def run(self) -> SendReport:
        report = SendReport()
        wave_id = self.policy.wave_id
        with (
            states.wave_lock(self.engine, wave_id),
            ThreadPoolExecutor(self.policy.workers, thread_name_prefix="send") as pool,
        ):
            self._settle_stranded(pool, report)
            counts = states.plan(self.engine, wave_id, self.policy.opens_at)
            report.planned = counts["planned"]
            report.skipped["left_audience"] += counts["left_audience"]
            logger.info("wave %s: %d intents planned, %d refreshed", wave_id, counts["planned"],
                        counts["refreshed"])  # fmt: skip
            with self.engine.begin() as conn:
                reopened = states.reopen_deferred(conn, wave_id, self.clock())
            if reopened:
                logger.info("wave %s: %d deferred texts checked again against the hours and cap"
                            " now configured", wave_id, reopened)  # fmt: skip
            self._send_due(pool, report)
        report.first_call = self.deliverer.first_call
        report.last_accept = self.deliverer.last_accept
        logger.info(
            "wave %s: %d sent, %d failed, %d deferred, %d skipped, %d settled by lookup",
            wave_id, report.sent, sum(report.failed.values()), report.deferred,
            sum(report.skipped.values()), report.resolved_sent + report.resolved_requeued,
        )  # fmt: skip
        return report

    def _settle_stranded(self, pool: ThreadPoolExecutor, report: SendReport) -> None:
        """Ask Twilio about every intent an earlier run left in 'submitting'."""
        with self.engine.begin() as conn:
            stranded = states.stranded(conn, self.policy.wave_id)
        if not stranded:
            return
        logger.warning("wave %s: %d sends left mid-call by an earlier run; asking Twilio",
                       self.policy.wave_id, len(stranded))  # fmt: skip
        newest = max(row.submitted_at for row in stranded)
        wait = self.policy.settle_seconds - (self.clock() - newest).total_seconds()
        if wait > 0:
            self.sleep(min(wait, self.policy.settle_seconds))
        transitions = list(pool.map(self._settle_one, stranded))
        with self.engine.begin() as conn:
            states.record(conn, transitions)
        report.resolved_sent += sum(t.state == "sent" for t in transitions)
        report.resolved_requeued += sum(t.state == "planned" for t in transitions)

    def _settle_one(self, row: Stranded) -> Transition:
        if row.marker is None:
            # Neither its link nor its text is known any more: it cannot be looked up, so it
            # is never sent again.
            return Transition(row.send_id, "failed", 0, error_reason="outcome_unknown")
        found = self.deliverer.lookup(row.to_phone, row.marker, row.submitted_at)
        if found:
            # Twilio took it within moments of submission, which is when its hours were checked.
            sent = Transition(
                row.send_id, "sent", 0, message_sid=found[0], sent_at=row.submitted_at
            )
            return sent
        # Twilio has no such text: the earlier run died before its request arrived.
        return Transition(row.send_id, "planned", 0, not_before=self.clock())

    def _send_due(self, pool: ThreadPoolExecutor, report: SendReport) -> None:
        boundary = self._hold(report)
        while True:
            if self.clock() >= boundary:
                boundary = self._hold(report)
            limit = self._room(report)
            if limit == 0:
                break
            with self.engine.begin() as conn:
                batch = states.claim(conn, self.policy.wave_id, self.clock(), limit)
            if not batch:
                break
            deliveries = list(pool.map(self.deliverer.deliver, batch))
            with self.engine.begin() as conn:
                states.record(conn, [d.transition for d in deliveries])
            self._tally(deliveries, report)
        with self.engine.begin() as conn:
            report.skipped["suppressed"] += states.skip_suppressed(conn, self.policy.wave_id)

    def _hold(self, report: SendReport) -> datetime:
        """Defer or skip due intents whose window is shut, refresh the daily cap; returns when
        this must run again (the first window to shut, or local midnight)."""
        now = self.clock()
        policy = self.policy
        today, midnight = self._local_days(now)
        boundary = midnight
        with self.engine.begin() as conn:
            report.skipped["suppressed"] += states.skip_suppressed(conn, policy.wave_id)
            for timezone, home_state, _ in states.due_groups(conn, policy.wave_id, now):
                opening = self.deliverer.opening(now, timezone, home_state)
                if opening is not None and opening.send_from <= now:
                    self.deliverer.closes[(timezone, home_state)] = opening.send_until
                    boundary = min(boundary, opening.send_until)
                    continue
                until = opening.send_from if opening else None
                held = states.hold_group(conn, policy.wave_id, now, timezone=timezone,
                                         home_state=home_state, until=until)  # fmt: skip
                if until is None:
                    report.skipped["wave_window_closed"] += held
                else:
                    report.deferred += held
            if policy.daily_cap is not None:
                waves = policy.cap_wave_ids or (policy.wave_id,)
                sent_today = states.sent_since(conn, waves, today)
                self._cap_left = max(0, policy.daily_cap - sent_today)
        return boundary

    def _room(self, report: SendReport) -> int:
        """How many may be claimed now; at the daily cap, defers everything due to midnight."""
        if self._cap_left is None:
            return self.policy.batch_size
        if self._cap_left > 0:
            return min(self.policy.batch_size, self._cap_left)
        now = self.clock()
        with self.engine.begin() as conn:
            held = states.defer_all_due(conn, self.policy.wave_id, now, self._local_days(now)[1])
        report.deferred += held
        logger.warning("wave %s: daily cap of %d reached; %d deferred to midnight",
                       self.policy.wave_id, self.policy.daily_cap, held)  # fmt: skip
        return 0

    def _local_days(self, now: datetime) -> tuple[datetime, datetime]:
        """This and the next midnight on the campaign's clock (the daily cap's day), in UTC."""
        zone = ZoneInfo(self.policy.campaign_timezone)
        today = datetime.combine(now.astimezone(zone).date(), time_of_day(0), tzinfo=zone)
        # Aware arithmetic is wall-clock arithmetic: a day later is the next local midnight.
        return today.astimezone(UTC), (today + timedelta(days=1)).astimezone(UTC)

    def _tally(self, deliveries: list[Delivery], report: SendReport) -> None:
        for delivery in deliveries:
            report.add(delivery)
        if self._cap_left is not None:
            sent = sum(d.transition.state == "sent" for d in deliveries)
            self._cap_left = max(0, self._cap_left - sent)
        account_errors = [d.account_error for d in deliveries if d.account_error]
        if account_errors:
            raise AccountError(account_errors[0])
        gave_up = sum(d.gave_up for d in deliveries)
        if gave_up:
            raise ProviderUnavailable(
                f"wave {self.policy.wave_id}: {gave_up} send(s) unresolved after "
                f"{self.policy.max_attempts} attempts; a re-run will ask Twilio and resume"
            )
