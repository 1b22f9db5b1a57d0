"""The wave sender on PostgreSQL against the local fake Twilio: texting hours on a clock that
stands still, and a run killed with SIGKILL after Twilio accepted a text."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text

from campaign_pipelines.fake_twilio import (
    LOCAL_ACCOUNT_SID,
    LOCAL_AUTH_TOKEN,
    RunningFakeTwilio,
    serve_in_thread,
)
from campaign_pipelines.messaging.outcome import wave_outcome
from campaign_pipelines.messaging.policy import SendPolicy
from campaign_pipelines.messaging.sender import WaveSender
from campaign_pipelines.messaging.twilio_gateway import TwilioGateway, Unclear
from campaign_pipelines.rules.quiet_hours import TextingWindow

SERVICE = "MG" + "0" * 32
NEW_YORK = "America/New_York"
MINUTE = timedelta(minutes=1)


def policy(wave_id: str, **overrides) -> SendPolicy:
    settings = {
        "wave_id": wave_id,
        "messaging_service_sid": SERVICE,
        "opens_at": datetime(2020, 1, 1, tzinfo=UTC),
        "closes_at": datetime(2040, 1, 1, tzinfo=UTC),
        "segments_per_second": None,
        "campaign_timezone": NEW_YORK,
        "settle_seconds": 0.0,
        **overrides,
    }
    return SendPolicy(**settings)


def add_message(engine, wave_id: str, voter_id: str, phone: str, *, timezone=NEW_YORK) -> None:
    code = f"{wave_id}-{voter_id}"
    with engine.begin() as conn:
        link_id = conn.execute(
            text(
                "INSERT INTO links (code, wave_id, voter_id, route, channel)"
                " VALUES (:code, :w, :v, 'polling_place', 'sms') RETURNING link_id"
            ),
            {"code": code, "w": wave_id, "v": voter_id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO wave_messages (wave_id, voter_id, variant, link_id, to_phone, body,"
                " encoding, segments, timezone, home_state)"
                " VALUES (:w, :v, 'A', :link, :phone, :body, 'GSM-7', 1, :tz, 'NC')"
            ),
            {"w": wave_id, "v": voter_id, "link": link_id, "phone": phone, "tz": timezone,
             "body": f"Polls close at 7:30. https://go.example.org/{code}"},
        )  # fmt: skip


def send_row(engine, wave_id: str, voter_id: str):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT state, not_before, message_sid FROM sends"
                " WHERE wave_id = :w AND voter_id = :v"
            ),
            {"w": wave_id, "v": voter_id},
        ).one()


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFakeTwilio]:
    with serve_in_thread(sent_delay=0.0, delivered_delay=0.0) as running:
        yield running


@pytest.fixture
def gateway(fake) -> TwilioGateway:
    fake.fake.reset()
    return TwilioGateway(LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, base_url=fake.base_url)


def at(moment: datetime):
    return lambda: moment


# 21:00 of an evening in New York and 08:00 the next morning, both in UTC.
EVENINGS = {
    "summer": (datetime(2026, 6, 10, 1, 0, tzinfo=UTC), datetime(2026, 6, 10, 12, 0, tzinfo=UTC)),
    # Clocks spring forward at 02:00 on 8 March: 21:00 EST, then 08:00 EDT ten hours later.
    "spring_forward": (
        datetime(2026, 3, 8, 2, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
    ),
    # Clocks fall back at 02:00 on 1 November: 21:00 EDT, then 08:00 EST twelve hours later.
    "fall_back": (
        datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 13, 0, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("evening", EVENINGS)
def test_messaging_sender_new_york_voter_sent_at_2059_deferred_at_2100(
    engine, fake, gateway, evening
):
    nine_pm, eight_am = EVENINGS[evening]
    add_message(engine, "at-2059", "V1", "+19195550101")
    add_message(engine, "at-2100", "V2", "+19195550102")

    early = WaveSender(engine, gateway, policy("at-2059"), clock=at(nine_pm - MINUTE)).run()
    late = WaveSender(engine, gateway, policy("at-2100"), clock=at(nine_pm)).run()

    assert (early.sent, early.deferred) == (1, 0)
    assert send_row(engine, "at-2059", "V1").state == "sent"
    assert (late.sent, late.deferred) == (0, 1)
    assert tuple(send_row(engine, "at-2100", "V2"))[:2] == ("deferred", eight_am)
    assert fake.fake.store.counts()["by_to"] == {"+19195550101": 1}

    # Nothing leaves a minute early; at 08:00 the deferred text goes.
    for moment, sent in ((eight_am - MINUTE, 0), (eight_am, 1)):
        again = WaveSender(engine, gateway, policy("at-2100"), clock=at(moment)).run()
        assert again.sent == sent
    assert fake.fake.store.counts()["by_to"] == {"+19195550101": 1, "+19195550102": 1}


def test_messaging_sender_hours_widened_again_send_the_deferred_texts_at_once(
    engine, fake, gateway
):
    # Found in a trial: hours narrowed by mistake deferred a wave to the next morning, and
    # putting them right left it deferred. A run decides every deferral under the config it has.
    two_pm = datetime(2026, 6, 9, 18, 0, tzinfo=UTC)  # 14:00 in New York
    add_message(engine, "narrowed", "V1", "+19195550111")
    mornings_only = policy("narrowed", default_hours=TextingWindow(start=time(8), end=time(12)))

    first = WaveSender(engine, gateway, mornings_only, clock=at(two_pm)).run()
    deferred_to = send_row(engine, "narrowed", "V1").not_before
    second = WaveSender(engine, gateway, policy("narrowed"), clock=at(two_pm + MINUTE)).run()

    assert (first.sent, first.deferred) == (0, 1)
    assert deferred_to == datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 08:00 the next day
    assert second.sent == 1
    assert send_row(engine, "narrowed", "V1").state == "sent"
    assert fake.fake.store.counts()["by_to"] == {"+19195550111": 1}


# Sends through a gateway that kills its own process the moment Twilio has accepted a text,
# before the sender can record it: the worst moment a real crash can pick.
KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime, timedelta
    from campaign_pipelines.db.session import engine_for
    from campaign_pipelines.messaging.policy import SendPolicy
    from campaign_pipelines.messaging.sender import WaveSender
    from campaign_pipelines.messaging.twilio_gateway import Accepted, TwilioGateway

    class DiesWhenTwilioAccepts(TwilioGateway):
        def create(self, **request):
            outcome = super().create(**request)
            if isinstance(outcome, Accepted):
                os.kill(os.getpid(), signal.SIGKILL)
            return outcome

    database_url, base_url, account_sid, auth_token = sys.argv[1:5]
    policy = SendPolicy(
        wave_id="killed", messaging_service_sid="MG" + "0" * 32,
        opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2040, 1, 1, tzinfo=UTC),
        segments_per_second=None, campaign_timezone="America/New_York", workers=1,
        settle_seconds=0.0,
    )
    gateway = DiesWhenTwilioAccepts(account_sid, auth_token, base_url=base_url)
    noon_in_new_york = datetime(2026, 6, 9, 16, tzinfo=UTC)
    WaveSender(engine_for(database_url), gateway, policy, clock=lambda: noon_in_new_york).run()
    """
)


def test_messaging_sender_killed_after_twilio_accepted_does_not_text_twice(
    engine, database_url, fake, gateway
):
    add_message(engine, "killed", "V1", "+19195550111")
    add_message(engine, "killed", "V2", "+19195550112")

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, database_url, fake.base_url,
         LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert killed.returncode == -9, killed.stderr[-2000:]
    assert send_row(engine, "killed", "V1").state == "submitting"
    assert fake.fake.store.counts()["by_to"] == {"+19195550111": 1}

    report = WaveSender(
        engine, gateway, policy("killed"), clock=at(datetime(2026, 6, 9, 16, tzinfo=UTC))
    ).run()

    accepted = {m.to: m.sid for m in fake.fake.store.all()}
    assert (report.resolved_sent, report.resolved_requeued, report.sent) == (1, 1, 1)
    assert send_row(engine, "killed", "V1").message_sid == accepted["+19195550111"]
    assert send_row(engine, "killed", "V2").state == "sent"
    assert fake.fake.store.counts()["by_to"] == {"+19195550111": 1, "+19195550112": 1}


class LosesAnswers(TwilioGateway):
    """The first create of each number times out: after Twilio took it, or before it arrived."""

    def __init__(self, *args, arrived: bool, **kwargs):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "arrived", arrived)
        object.__setattr__(self, "lost", set())

    def create(self, *, to, **request):
        if to in self.lost:
            return super().create(to=to, **request)
        self.lost.add(to)
        if self.arrived:
            super().create(to=to, **request)
        return Unclear("ReadTimeout")


@pytest.mark.parametrize("arrived", [True, False], ids=["taken", "never_arrived"])
def test_messaging_sender_timeout_is_settled_by_asking_twilio(engine, fake, arrived):
    fake.fake.reset()
    add_message(engine, "timeouts", "V1", "+19195550121")
    gateway = LosesAnswers(LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, base_url=fake.base_url,
                           arrived=arrived)  # fmt: skip

    report = WaveSender(
        engine, gateway, policy("timeouts"), clock=at(datetime(2026, 6, 9, 16, tzinfo=UTC)),
        sleep=lambda seconds: None,
    ).run()  # fmt: skip

    assert (report.sent, report.unclear, report.resolved_sent) == (1, 1, int(arrived))
    assert report.calls == (1 if arrived else 2)
    assert fake.fake.store.counts()["by_to"] == {"+19195550121": 1}
    (message,) = fake.fake.store.all()
    assert send_row(engine, "timeouts", "V1").message_sid == message.sid


def test_messaging_outcome_counts_texts_held_for_a_retry_and_says_when(engine):
    # Found in a trial: after Twilio refused the credentials, a re-run said "0 deferred" while
    # texts waited for their retry; the outcome must show them and the earliest retry.
    retry_at = datetime(2026, 6, 9, 18, 5, tzinfo=UTC)
    with engine.begin() as conn:
        for n, (state, not_before) in enumerate(
            [("planned", retry_at), ("planned", retry_at + MINUTE), ("sent", None)]
        ):
            conn.execute(
                text(
                    "INSERT INTO sends (wave_id, voter_id, link_id, to_phone, variant, segments,"
                    " state, not_before) VALUES ('retry', :v, :n, '+19195550120', 'A', 1, :s, :t)"
                ),
                {"v": f"V{n}", "n": n, "s": state, "t": not_before},
            )
        outcome = wave_outcome(conn, "retry")

    assert (outcome.sent, outcome.pending, outcome.deferred) == (1, 2, 0)
    assert outcome.next_retry_at == retry_at
    assert outcome.as_dict()["next_retry_at"] == retry_at.isoformat()
