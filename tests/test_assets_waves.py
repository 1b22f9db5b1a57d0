"""Waves through Dagster: suppression list -> audience -> messages -> sends, on PostgreSQL, sent
with the official ``twilio`` client to the local fake Twilio server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text

from campaign_pipelines.assets.suppression_list import suppression_list
from campaign_pipelines.assets.wave_audience import wave_audience
from campaign_pipelines.assets.wave_messages import wave_messages
from campaign_pipelines.assets.wave_sends import wave_sends
from campaign_pipelines.fake_twilio import (
    LOCAL_ACCOUNT_SID,
    LOCAL_AUTH_TOKEN,
    FaultRules,
    RunningFakeTwilio,
    serve_in_thread,
)
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.resources.twilio import TwilioResource

WAVE_ASSETS = [suppression_list, wave_audience, wave_messages, wave_sends]
ROUTES = ("polling_place", "donate")
BASE_URL = "https://go.example.org"
VOTERS = [f"V{i:03d}" for i in range(1, 11)]
# Raleigh: America/New_York.
RALEIGH = (35.78, -78.64)

# Texting hours cover the whole day so these tests pass at any hour; the hours themselves are
# tested in test_messaging_sender.py with a clock that stands still.
CONFIG = """
campaign: {id: waves-test, name: Waves test, state: NC}
voter_file: {path: voters.txt}
districts:
  layers:
    - {name: congressional, label: US House, files: [none.zip], id_columns: [CD], vintage: test}
links:
  base_url: "BASE_URL"
  allowed_domains: [example.org]
  routes:
    polling_place: {fallback: "https://example.org/vote"}
    donate: {fallback: "https://example.org/donate"}
messaging:
  texting_hours: {start: "00:00:00", end: "23:59:59.999999"}
EXTRA
  waves:
WAVES"""
WAVE = """
    - id: {wave_id}
      name: Test {wave_id}
      routes: [polling_place, donate]
      holdout_fraction: {holdout}
      messaging_service_sid: MG00000000000000000000000000000000
      segments_per_second: 500
      window: {{opens_at: "2020-01-01T00:00:00-05:00", closes_at: "2040-01-01T00:00:00-05:00"}}
      fallbacks: {fallbacks}
      variants:
        - name: A
          template: "Hi {{first_name}}, vote at {{polling_place_name}}: {{link_polling_place}}"
        - name: B
          template: "{{first_name}}, polls open! {{link_polling_place}} Give: {{link_donate}}"
"""


def write_config(tmp_path, *, holdout=0.0, fallbacks="{}", extra="") -> str:
    waves = "".join(
        WAVE.format(wave_id=w, holdout=holdout, fallbacks=fallbacks) for w in ("wave-1", "wave-2")
    )
    config = CONFIG.replace("BASE_URL", BASE_URL).replace("EXTRA", extra).replace("WAVES", waves)
    path = tmp_path / "campaign.yaml"
    path.write_text(config)
    return str(path)


def phone(voter_id: str) -> str:
    return f"+1919555{int(voter_id[1:]) + 100:04d}"


def seed_voters(engine, voter_ids=VOTERS, *, first_names=None, waves=("wave-1", "wave-2")):
    """Voters with consent and mobile numbers in NC-2, a polling place each, and a link per wave
    and route, as the voters, districts and links assets would have left them."""
    first_names = first_names or {}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO voters (voter_id, load_id, source_row, first_name, phone_e164,"
                " sms_opt_in, state, precinct_key, latitude, longitude)"
                " VALUES (:v, 1, 1, :first, :phone, true, 'NC', 'P1', :lat, :lon)"
            ),
            [
                {"v": v, "first": first_names.get(v, "MARIA"), "phone": phone(v),
                 "lat": RALEIGH[0], "lon": RALEIGH[1]}
                for v in voter_ids
            ],
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO district_assignments (voter_id, layer, district_id, method,"
                " geo_verified) VALUES (:v, 'congressional', '2', 'spatial', true)"
            ),
            [{"v": v} for v in voter_ids],
        )
        conn.execute(
            text(
                "INSERT INTO destinations (destination_key, kind, name, source)"
                " VALUES ('polling_place:P1', 'polling_place', 'Oak Grove School', 'test')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO links (code, wave_id, voter_id, route, channel)"
                " VALUES (:code, :wave, :v, :route, 'sms')"
            ),
            [
                {"code": f"{w[-1]}{r[0]}{v}", "wave": w, "v": v, "route": r}
                for w in waves
                for v in voter_ids
                for r in ROUTES
            ],
        )


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFakeTwilio]:
    with serve_in_thread(sent_delay=0.0, delivered_delay=0.0) as running:
        yield running


@pytest.fixture
def twilio(fake) -> TwilioResource:
    fake.fake.reset()
    fake.fake.configure(rules=FaultRules())
    return TwilioResource(
        account_sid=LOCAL_ACCOUNT_SID,
        auth_token=LOCAL_AUTH_TOKEN,
        base_url=fake.base_url,
        lookup_settle_seconds=0.0,
    )


def run_wave(database_url, config_path, twilio, wave_id="wave-1"):
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("waves", ["wave-1", "wave-2"])
        return materialize(
            WAVE_ASSETS,
            partition_key=wave_id,
            instance=instance,
            resources={
                "postgres": PostgresResource(url=database_url),
                "campaign": CampaignConfigResource(config_path=config_path),
                "twilio": twilio,
            },
            raise_on_error=False,
        )


def received(fake: RunningFakeTwilio) -> dict[str, int]:
    return dict(fake.fake.store.counts()["by_to"])


def states(engine, wave_id: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT voter_id, state || coalesce(':' || error_reason, '') FROM sends"
                 " WHERE wave_id = :w"), {"w": wave_id},
        ).all()  # fmt: skip
    return dict(rows)


def exclusion(engine, wave_id: str, voter_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT exclusion FROM wave_audience WHERE wave_id = :w AND voter_id = :v"),
            {"w": wave_id, "v": voter_id},
        ).scalar_one()


def test_assets_waves_voter_who_replied_stop_between_waves_is_not_in_the_second(
    engine, database_url, tmp_path, fake, twilio
):
    config = write_config(tmp_path)
    seed_voters(engine)
    assert run_wave(database_url, config, twilio, "wave-1").success
    assert received(fake)[phone("V003")] == 1

    with engine.begin() as conn:  # as the link server records a STOP reply
        conn.execute(
            text("INSERT INTO opt_outs (phone_e164, opted_out, source) VALUES (:p, true, 'reply')"),
            {"p": phone("V003")},
        )
    result = run_wave(database_url, config, twilio, "wave-2")

    assert result.success
    assert exclusion(engine, "wave-2", "V003") == "suppressed"
    assert "V003" not in states(engine, "wave-2")
    assert received(fake)[phone("V003")] == 1
    assert received(fake)[phone("V004")] == 2


def test_assets_waves_21610_on_send_suppresses_the_number_for_later_waves(
    engine, database_url, tmp_path, fake, twilio
):
    config = write_config(tmp_path)
    seed_voters(engine)
    fake.fake.configure(rules=FaultRules.of(unsubscribed=[phone("V004")]))

    assert run_wave(database_url, config, twilio, "wave-1").success
    assert states(engine, "wave-1")["V004"] == "failed:suppressed"
    result = run_wave(database_url, config, twilio, "wave-2")

    assert result.success
    assert exclusion(engine, "wave-2", "V004") == "suppressed"
    assert "V004" not in states(engine, "wave-2")
    # Twilio refused one attempt, in wave 1; wave 2 never asked again.
    assert fake.fake.store.counts()["rejected"] == {"21610": 1}
    with engine.connect() as conn:
        listed = conn.execute(text("SELECT reason, source FROM suppressions")).all()
    assert listed == [("opt_out", "twilio_21610")]


def test_assets_waves_missing_first_name_fails_naming_template_and_field(
    engine, database_url, tmp_path, twilio
):
    config = write_config(tmp_path)
    seed_voters(engine, first_names={"V002": None, "V007": " "})

    result = run_wave(database_url, config, twilio, "wave-1")

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "wave_messages"
    message = failure.step_failure_data.user_failure_data.description
    assert "wave wave-1 variant" in message
    assert "template field {first_name} has no value" in message
    assert "messaging.waves[0].fallbacks.first_name" in message
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sends")).scalar_one() == 0


def test_assets_waves_rerun_of_a_completed_wave_sends_nothing(
    engine, database_url, tmp_path, fake, twilio
):
    config = write_config(tmp_path, holdout=0.2)
    seed_voters(engine)
    assert run_wave(database_url, config, twilio, "wave-1").success
    first = received(fake)
    sent = [v for v, state in states(engine, "wave-1").items() if state == "sent"]

    result = run_wave(database_url, config, twilio, "wave-1")

    assert result.success
    assert received(fake) == first
    assert sum(first.values()) == len(sent) == 8  # 10 voters, 2 held out
    assert set(states(engine, "wave-1").values()) == {"sent"}
    sends = result.asset_materializations_for_node("wave_sends")[0].metadata
    assert sends["this_run"].value["sent"] == 0


def test_assets_waves_suppression_list_joins_replies_refusals_and_imported_files(
    engine, database_url, tmp_path
):
    (tmp_path / "vendor.csv").write_text(
        "phone,name\n(919) 555-0105,A\n919-555-01,B\n+19195550106,C\n"
    )
    (tmp_path / "lookup.csv").write_text("number\n919.555.0106\n919.555.0108\n")
    extra = (
        "  suppression_files:\n"
        "    - {path: vendor.csv, source: vendor-2024}\n"
        "    - {path: lookup.csv, source: line-lookup, phone_column: number, reason: landline}"
    )
    config = write_config(tmp_path, extra=extra)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO opt_outs (phone_e164, opted_out, source) VALUES"
                 " ('+19195550107', true, 'reply'), ('+19195550109', false, 'reply')"),
        )  # fmt: skip

    result = materialize(
        [suppression_list],
        resources={
            "postgres": PostgresResource(url=database_url),
            "campaign": CampaignConfigResource(config_path=config),
        },
    )

    with engine.connect() as conn:
        listed = dict(
            conn.execute(text("SELECT phone_e164, reason || ' ' || source FROM suppressions")).all()
        )
    assert listed == {
        "+19195550105": "opt_out import_vendor-2024",
        "+19195550106": "opt_out import_vendor-2024",  # an opt-out outranks a landline
        "+19195550107": "opt_out inbound_reply",
        "+19195550108": "landline import_line-lookup",
    }
    (unread,) = [
        e.asset_check_evaluation_data for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == "suppression_files_are_fully_read"
    ]  # fmt: skip
    assert not unread.passed
    assert unread.metadata["sample_rows"].value == [
        "vendor-2024 line 3: not a possible US number (8 digits)"
    ]


def test_assets_waves_message_without_its_link_blocks_the_wave(
    engine, database_url, tmp_path, fake, twilio
):
    config = write_config(tmp_path)
    seed_voters(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM links WHERE voter_id = 'V005' AND route = 'donate'"))

    result = run_wave(database_url, config, twilio, "wave-1")

    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    link_check = checks["every_message_has_its_link"]
    assert not link_check.passed
    assert link_check.metadata["sample_ids"].value == ["V005"]
    assert checks["no_unrendered_placeholders"].passed
    assert checks["segments_within_maximum"].passed
    assert received(fake) == {}  # blocking: wave_sends never ran
    assert states(engine, "wave-1") == {}
