"""The send state machine in the ``sends`` table: every transition is one SQL statement.

::

    planned, deferred (due) ──claim──► submitting ──► sent      Twilio accepted it (SID kept)
          │                                ├────────► failed    refused for good (code, reason)
          │                                ├────────► deferred  the voter's window shut first
          │                                └────────► planned   Twilio was asked: no such text
          ├──hold──► deferred   until the voter's next opening (``not_before``)
          └──hold──► skipped    wave closed, number suppressed, or voter left the audience

A row is committed as ``submitting`` before its API call, so after a crash at any point a row is
either untouched (safe to send), ``submitting`` (Twilio is asked before anything else happens to
it: see ``sender.WaveSender``) or final. Nothing here ever resends on its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from campaign_pipelines.messaging.queries import analyze, query

PENDING = ("planned", "deferred")
# Refusals that put the number on the suppression list, with the list's reason.
SUPPRESSING = {"21610": "opt_out", "21614": "landline", "21211": "invalid_number"}


class WaveBusy(RuntimeError):
    """Another run holds this wave's send lock."""


_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext('wave_sends'), hashtext(:wave_id))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext('wave_sends'), hashtext(:wave_id))")


@contextmanager
def wave_lock(engine: Engine, wave_id: str, *, wait_seconds: float = 10.0) -> Iterator[None]:
    """One sender per wave at a time. The lock belongs to a database session, so a killed run
    releases it; its server process may take a moment to notice, hence the short wait."""
    params = {"wave_id": wave_id}
    with engine.connect() as conn:
        deadline = time.monotonic() + wait_seconds
        while not conn.execute(_TRY_LOCK, params).scalar_one():
            conn.commit()
            if time.monotonic() >= deadline:
                raise WaveBusy(f"another run is already sending wave {wave_id}")
            time.sleep(0.2)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(_UNLOCK, params)
            conn.commit()


@dataclass(frozen=True, slots=True)
class Claimed:
    send_id: int
    voter_id: str
    to_phone: str
    segments: int
    body: str
    timezone: str | None
    home_state: str | None
    link_code: str | None

    @property
    def marker(self) -> str:
        """What identifies our message among everything sent to this number."""
        return f"/{self.link_code}" if self.link_code else self.body


@dataclass(frozen=True, slots=True)
class Stranded:
    send_id: int
    to_phone: str
    submitted_at: datetime
    body: str | None
    link_code: str | None

    @property
    def marker(self) -> str | None:
        return f"/{self.link_code}" if self.link_code else self.body


@dataclass(frozen=True, slots=True)
class Transition:
    """A claimed row's next state, written by ``record``."""

    send_id: int
    state: str
    calls: int
    message_sid: str | None = None
    error_code: str | None = None
    error_reason: str | None = None
    not_before: datetime | None = None
    sent_at: datetime | None = None
    to_phone: str | None = None


def plan(engine: Engine, wave_id: str, opens_at: datetime) -> dict[str, int]:
    """Record the intent for every rendered message; returns counts of what changed. Each step
    is idempotent, so each commits on its own."""
    params = {"wave_id": wave_id}
    with engine.begin() as conn:
        planned = conn.execute(query("plan_sends"), {**params, "opens_at": opens_at}).rowcount
    if planned:
        with engine.begin() as conn:
            analyze(conn, "sends")
            analyze(conn, "wave_messages")
    with engine.begin() as conn:
        refreshed = conn.execute(query("refresh_sends"), params).rowcount
        left = _skip_left_audience(conn, wave_id)
    return {"planned": planned, "refreshed": refreshed, "left_audience": left}


def _skip_left_audience(conn: Connection, wave_id: str) -> int:
    return conn.execute(
        text(
            "UPDATE sends s SET state = 'skipped', error_reason = 'left_audience'"
            " WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred') AND NOT EXISTS"
            " (SELECT 1 FROM wave_messages wm"
            "  WHERE wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id)"
        ),
        {"wave_id": wave_id},
    ).rowcount


def skip_suppressed(conn: Connection, wave_id: str) -> int:
    """Pending intents whose number was suppressed or opted out since planning."""
    return conn.execute(
        text(
            "UPDATE sends s SET state = 'skipped', error_reason = 'suppressed'"
            " WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred') AND ("
            " EXISTS (SELECT 1 FROM suppressions x WHERE x.phone_e164 = s.to_phone) OR"
            " EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone_e164 = s.to_phone AND o.opted_out))"
        ),
        {"wave_id": wave_id},
    ).rowcount


def due_groups(
    conn: Connection, wave_id: str, now: datetime
) -> list[tuple[str | None, str | None, int]]:
    rows = conn.execute(query("due_groups"), {"wave_id": wave_id, "now": now}).all()
    return [(r.timezone, r.home_state, r.due) for r in rows]


def hold_group(
    conn: Connection,
    wave_id: str,
    now: datetime,
    *,
    timezone: str | None,
    home_state: str | None,
    until: datetime | None,
) -> int:
    """Defer a group's due intents to ``until``, or skip them when ``until`` is None."""
    params = {
        "wave_id": wave_id,
        "now": now,
        "timezone": timezone,
        "home_state": home_state,
        "state": "deferred" if until else "skipped",
        "not_before": until,
        "reason": None if until else "wave_window_closed",
    }
    return conn.execute(query("hold_group"), params).rowcount


def reopen_deferred(conn: Connection, wave_id: str, now: datetime) -> int:
    """Make every deferred intent due now, so that this run decides its deferral again under
    the config as it is now: texting hours or a daily cap edited since (a mistaken narrowing
    put right) take effect at once; whatever is still shut is deferred again, to its opening."""
    return conn.execute(
        text(
            "UPDATE sends SET not_before = :now"
            " WHERE wave_id = :wave_id AND state = 'deferred' AND not_before > :now"
        ),
        {"wave_id": wave_id, "now": now},
    ).rowcount


def defer_all_due(conn: Connection, wave_id: str, now: datetime, until: datetime) -> int:
    """Defer every due intent (the sender's daily cap is spent) to ``until``."""
    return conn.execute(
        text(
            "UPDATE sends SET state = 'deferred', not_before = :until"
            " WHERE wave_id = :wave_id AND state IN ('planned', 'deferred') AND not_before <= :now"
        ),
        {"wave_id": wave_id, "now": now, "until": until},
    ).rowcount


def sent_since(conn: Connection, wave_ids: Sequence[str], since: datetime) -> int:
    return conn.execute(
        text(
            "SELECT count(*) FROM sends"
            " WHERE wave_id = ANY(:wave_ids) AND state = 'sent' AND sent_at >= :since"
        ),
        {"wave_ids": list(wave_ids), "since": since},
    ).scalar_one()


def claim(conn: Connection, wave_id: str, now: datetime, limit: int) -> list[Claimed]:
    rows = conn.execute(query("claim_sends"), {"wave_id": wave_id, "now": now, "limit": limit})
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.send_id)


def stranded(conn: Connection, wave_id: str) -> list[Stranded]:
    return [Stranded(*row) for row in conn.execute(query("stranded_sends"), {"wave_id": wave_id})]


def record(conn: Connection, transitions: Sequence[Transition]) -> None:
    """Write a batch of outcomes, and put numbers Twilio refused for good on the list."""
    if not transitions:
        return
    conn.execute(
        query("record_sends"),
        {
            "send_ids": [t.send_id for t in transitions],
            "states": [t.state for t in transitions],
            "message_sids": [t.message_sid for t in transitions],
            "error_codes": [t.error_code for t in transitions],
            "error_reasons": [t.error_reason for t in transitions],
            "not_befores": [t.not_before for t in transitions],
            "sent_ats": [t.sent_at for t in transitions],
            "calls": [t.calls for t in transitions],
        },
    )
    refused = [
        {
            "phone": t.to_phone,
            "reason": SUPPRESSING[t.error_code],
            "source": f"twilio_{t.error_code}",
        }
        for t in transitions
        if t.error_code in SUPPRESSING and t.to_phone
    ]
    if refused:
        conn.execute(
            text(
                "INSERT INTO suppressions (phone_e164, reason, source)"
                " VALUES (:phone, :reason, :source) ON CONFLICT (phone_e164) DO NOTHING"
            ),
            refused,
        )
