"""Send one wave: plan intents, resolve what a crashed run left, then claim, send and record.

The loop, for one wave at a time (a PostgreSQL advisory lock keeps a second run out)::

    plan ─► resolve stranded ─► ┌ hold: defer shut groups, skip suppressed, apply the daily cap
                                │ claim a batch (committed as 'submitting')
                                │ send it on a thread pool, paced in segments per second
                                └ record the batch's outcomes ─► repeat until nothing is due

Texts leave only while each voter's local clock is inside their state's hours and the wave's
window is open; a voter whose window shuts mid-batch is deferred, not sent late. Every decision
that depends on the time uses ``clock`` (UTC), so tests can stand at 20:59 on the night clocks
change. Logs carry counts and send ids only.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from campaign_pipelines.messaging import send_states as states
from campaign_pipelines.messaging.pacing import Pacer, backoff_seconds
from campaign_pipelines.messaging.send_states import Claimed, Stranded, Transition
from campaign_pipelines.messaging.texting_hours import Opening, next_opening
from campaign_pipelines.messaging.twilio_gateway import (
    Accepted,
    AccountError,
    LookupFailed,
    Refused,
    Throttled,
    TwilioGateway,
    Unclear,
)
from campaign_pipelines.rules.quiet_hours import DEFAULT_WINDOW, TextingWindow

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProviderUnavailable(RuntimeError):
    """Twilio kept answering 429/5xx or timing out; the wave stops and a re-run resumes it."""


@dataclass(frozen=True)
class SendPolicy:
    """Everything about a wave that decides when and how fast its texts go out."""

    wave_id: str
    messaging_service_sid: str
    opens_at: datetime
    closes_at: datetime
    segments_per_second: float | None
    campaign_timezone: str
    default_hours: TextingWindow = DEFAULT_WINDOW
    state_hours: Mapping[str, TextingWindow] = field(default_factory=dict)
    daily_cap: int | None = None
    # Waves sharing this wave's sender: the daily cap is the sender's, not the wave's.
    cap_wave_ids: tuple[str, ...] = ()
    batch_size: int = 100
    workers: int = 4
    max_attempts: int = 6
    # How long after a create Twilio's list is trusted to show it; waited before a lookup.
    settle_seconds: float = 5.0

    def hours_for(self, home_state: str | None) -> TextingWindow:
        if home_state is None:
            return self.default_hours
        return self.state_hours.get(home_state.upper(), self.default_hours)


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
    throttled: int = 0
    unclear: int = 0
    duplicates_seen: int = 0
    first_call: float | None = None
    last_call: float | None = None

    @property
    def send_seconds(self) -> float:
        if self.first_call is None or self.last_call is None:
            return 0.0
        return self.last_call - self.first_call

    @property
    def achieved_per_second(self) -> float:
        return self.sent / self.send_seconds if self.send_seconds > 0 else 0.0


@dataclass(slots=True)
class _Tries:
    calls: int = 0
    throttled: int = 0
    unclear: int = 0


@dataclass(frozen=True, slots=True)
class _Delivery:
    transition: Transition
    tries: _Tries
    segments: int = 0
    resolved: bool = False
    duplicates: int = 0
    gave_up: bool = False
    account_error: str | None = None


def _held_back(row: Claimed, opening: Opening | None, tries: _Tries) -> Transition:
    if opening is None:
        return Transition(row.send_id, "skipped", tries.calls, error_reason="wave_window_closed")
    return Transition(row.send_id, "deferred", tries.calls, not_before=opening.send_from)


class WaveSender:
    """Sends one wave through ``gateway`` under ``policy``; ``run`` may be called again safely."""

    def __init__(
        self,
        engine: Engine,
        gateway: TwilioGateway,
        policy: SendPolicy,
        *,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.pacer = Pacer(policy.segments_per_second, sleep=sleep)
        self._closes: dict[tuple[str | None, str | None], datetime] = {}
        self._first_call: float | None = None
        self._last_accept: float | None = None

    def run(self) -> SendReport:
        report = SendReport()
        wave_id = self.policy.wave_id
        with states.wave_lock(self.engine, wave_id):
            with self.engine.begin() as conn:
                counts = states.plan(conn, wave_id, self.policy.opens_at)
            report.planned = counts["planned"]
            report.skipped["left_audience"] += counts["left_audience"]
            logger.info("wave %s: %d intents planned, %d refreshed", wave_id, counts["planned"],
                        counts["refreshed"])  # fmt: skip
            with ThreadPoolExecutor(self.policy.workers, thread_name_prefix="send") as pool:
                self._resolve_stranded(pool, report)
                self._send_due(pool, report)
        logger.info(
            "wave %s: %d sent, %d failed, %d deferred, %d skipped, %d resolved by lookup",
            wave_id, report.sent, sum(report.failed.values()), report.deferred,
            sum(report.skipped.values()), report.resolved_sent + report.resolved_requeued,
        )  # fmt: skip
        return report

    def _resolve_stranded(self, pool: ThreadPoolExecutor, report: SendReport) -> None:
        """Ask Twilio about every intent a previous run left in 'submitting'."""
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
        transitions = list(pool.map(self._resolve_one, stranded))
        with self.engine.begin() as conn:
            states.record(conn, transitions)
        for transition in transitions:
            if transition.state == "sent":
                report.resolved_sent += 1
            else:
                report.resolved_requeued += 1

    def _resolve_one(self, row: Stranded) -> Transition:
        found = self._lookup(row.to_phone, row.marker, row.submitted_at) if row.marker else []
        if found:
            return Transition(row.send_id, "sent", 0, message_sid=found[0], sent_at=self.clock())
        # Twilio has no such message: the earlier run died before its request arrived.
        return Transition(row.send_id, "planned", 0, not_before=self.clock())

    def _send_due(self, pool: ThreadPoolExecutor, report: SendReport) -> None:
        boundary = self._hold(report)
        while True:
            if self.clock() >= boundary:
                boundary = self._hold(report)
            limit = self._cap_room(report)
            if limit == 0:
                break
            with self.engine.begin() as conn:
                batch = states.claim(conn, self.policy.wave_id, self.clock(), limit)
            if not batch:
                break
            deliveries = list(pool.map(self._deliver, batch))
            with self.engine.begin() as conn:
                states.record(conn, [d.transition for d in deliveries])
            self._tally(deliveries, report)
        with self.engine.begin() as conn:
            report.skipped["suppressed"] += states.skip_suppressed(conn, self.policy.wave_id)

    def _hold(self, report: SendReport) -> datetime:
        """Defer or skip due intents whose window is shut; returns when this must run again."""
        now = self.clock()
        policy = self.policy
        boundary = now + timedelta(days=1)
        with self.engine.begin() as conn:
            report.skipped["suppressed"] += states.skip_suppressed(conn, policy.wave_id)
            for timezone, home_state, _ in states.due_groups(conn, policy.wave_id, now):
                opening = self._opening(now, timezone, home_state)
                key = (timezone, home_state)
                if opening is not None and opening.send_from <= now:
                    self._closes[key] = opening.send_until
                    boundary = min(boundary, opening.send_until)
                    continue
                until = opening.send_from if opening else None
                held = states.hold_group(conn, policy.wave_id, now, timezone=timezone,
                                         home_state=home_state, until=until)  # fmt: skip
                if until is None:
                    report.skipped["wave_window_closed"] += held
                else:
                    report.deferred += held
        return boundary

    def _opening(
        self, now: datetime, timezone: str | None, home_state: str | None
    ) -> Opening | None:
        return next_opening(
            now,
            timezone or self.policy.campaign_timezone,
            self.policy.hours_for(home_state),
            opens_at=self.policy.opens_at,
            closes_at=self.policy.closes_at,
        )

    def _cap_room(self, report: SendReport) -> int:
        """How many may be claimed now; at the daily cap, defers everything due to tomorrow."""
        policy = self.policy
        if policy.daily_cap is None:
            return policy.batch_size
        now = self.clock()
        zone = ZoneInfo(policy.campaign_timezone)
        local = now.astimezone(zone)
        midnight = datetime.combine(local.date(), time_of_day(0), tzinfo=zone)
        waves = policy.cap_wave_ids or (policy.wave_id,)
        with self.engine.begin() as conn:
            room = policy.daily_cap - states.sent_since(conn, waves, midnight.astimezone(UTC))
            if room > 0:
                return min(policy.batch_size, room)
            # Aware arithmetic is wall-clock arithmetic: this is the next local midnight.
            tomorrow = (midnight + timedelta(days=1)).astimezone(UTC)
            report.deferred += states.defer_all_due(conn, policy.wave_id, now, tomorrow)
        return 0

    def _deliver(self, row: Claimed) -> _Delivery:
        """Send one claimed row: retries 429s, asks Twilio after anything unclear."""
        tries = _Tries()
        closes = self._closes.get((row.timezone, row.home_state))
        for attempt in range(self.policy.max_attempts):
            now = self.clock()
            if closes is None or now >= closes:
                opening = self._opening(now, row.timezone, row.home_state)
                if opening is None or opening.send_from > now:
                    return _Delivery(_held_back(row, opening, tries), tries)
                closes = opening.send_until
            try:
                outcome = self._create(row)
            except AccountError as e:
                return _Delivery(self._back(row, tries), tries, account_error=str(e))
            tries.calls += 1
            match outcome:
                case Accepted(sid):
                    return self._sent(row, sid, tries)
                case Refused(code, reason):
                    failed = Transition(
                        row.send_id, "failed", tries.calls, error_code=str(code),
                        error_reason=reason, to_phone=row.to_phone,
                    )  # fmt: skip
                    return _Delivery(failed, tries)
                case Throttled():
                    tries.throttled += 1
                    self.sleep(backoff_seconds(attempt))
                case Unclear():
                    tries.unclear += 1
                    settled = self._settle_unclear(row, now, attempt, tries)
                    if settled is not None:
                        return settled
        # Out of attempts, and Twilio confirmed it has nothing: the intent waits for a re-run.
        return _Delivery(self._back(row, tries), tries, gave_up=True)

    def _create(self, row: Claimed):
        self.pacer.acquire(row.segments)
        if self._first_call is None:
            self._first_call = time.monotonic()
        return self.gateway.create(
            to=row.to_phone, body=row.body, messaging_service_sid=self.policy.messaging_service_sid
        )

    def _settle_unclear(
        self, row: Claimed, since: datetime, attempt: int, tries: _Tries
    ) -> _Delivery | None:
        """After a timeout or 5xx: wait for Twilio to settle, then ask it. None means Twilio has
        no such message and the caller may try again."""
        self.sleep(max(backoff_seconds(attempt), self.policy.settle_seconds))
        try:
            found = self._lookup(row.to_phone, row.marker, since)
        except LookupFailed:
            unknown = Transition(row.send_id, "submitting", tries.calls)
            return _Delivery(unknown, tries, gave_up=True)
        if not found:
            return None
        return self._sent(row, found[0], tries, resolved=True, duplicates=len(found) - 1)

    def _sent(self, row: Claimed, sid: str, tries: _Tries, **flags) -> _Delivery:
        self._last_accept = time.monotonic()
        done = Transition(row.send_id, "sent", tries.calls, message_sid=sid, sent_at=self.clock())
        return _Delivery(done, tries, segments=row.segments, **flags)

    def _back(self, row: Claimed, tries: _Tries) -> Transition:
        return Transition(row.send_id, "planned", tries.calls, not_before=self.clock())

    def _lookup(self, to: str, marker: str, since: datetime) -> list[str]:
        # Five minutes of slack: Twilio's clock and ours need not agree to the second.
        for attempt in range(self.policy.max_attempts):
            try:
                return self.gateway.find(to=to, marker=marker, since=since - timedelta(minutes=5))
            except LookupFailed:
                if attempt == self.policy.max_attempts - 1:
                    raise
                self.sleep(backoff_seconds(attempt))
        return []

    def _tally(self, deliveries: list[_Delivery], report: SendReport) -> None:
        account_errors = [d.account_error for d in deliveries if d.account_error]
        gave_up = sum(d.gave_up for d in deliveries)
        for d in deliveries:
            t = d.transition
            report.throttled += d.tries.throttled
            report.unclear += d.tries.unclear
            report.duplicates_seen += d.duplicates
            if t.state == "sent":
                report.sent += 1
                report.segments_sent += d.segments
                report.resolved_sent += d.resolved
            elif t.state == "failed":
                report.failed[t.error_reason or "unknown"] += 1
            elif t.state == "deferred":
                report.deferred += 1
            elif t.state == "skipped":
                report.skipped[t.error_reason or "unknown"] += 1
        report.first_call = self._first_call
        report.last_call = self._last_accept
        if account_errors:
            raise AccountError(account_errors[0])
        if gave_up:
            raise ProviderUnavailable(
                f"wave {self.policy.wave_id}: {gave_up} send(s) still unresolved after "
                f"{self.policy.max_attempts} attempts; a re-run will ask Twilio and resume"
            )
