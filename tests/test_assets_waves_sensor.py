"""The wave sensor: partitions for configured waves, and one run per piece of due work."""

from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context
from sqlalchemy import text

from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.waves_schedule import due_work, wave_window_sensor

NOW = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
CONFIG = """
campaign: {id: sensor-test, name: Sensor test, state: NC}
voter_file: {path: voters.txt}
districts:
  layers:
    - {name: congressional, label: US House, files: [none.zip], id_columns: [CD], vintage: test}
links:
  allowed_domains: [example.org]
  routes: {polling_place: {fallback: "https://example.org/vote"}}
messaging:
  waves:
WAVES"""
WAVE = """
    - id: {wave_id}
      name: {wave_id}
      routes: [polling_place]
      messaging_service_sid: MG00000000000000000000000000000000
      window: {{opens_at: "{opens}", closes_at: "{closes}"}}
      variants: [{{name: A, template: "Vote! {{link}}"}}]
"""


@pytest.mark.parametrize(
    ("intents", "next_due", "stranded", "key"),
    [
        (0, None, None, "w:open"),
        (5, NOW - timedelta(minutes=3), None, "w:due:2026-10-31T13:57:00+00:00:settled:2"),
        (5, NOW + timedelta(hours=1), None, None),
        (5, None, None, None),  # all sent or failed
        (
            5,
            NOW + timedelta(hours=1),
            NOW - timedelta(minutes=9),
            "w:resume:2026-10-31T13:51:00+00:00",
        ),
    ],
)
def test_sensor_due_work_run_keys(intents, next_due, stranded, key):
    assert due_work("w", NOW, intents, next_due, stranded, settled=2) == key


def test_sensor_due_work_after_a_second_pause_asks_for_a_new_run():
    # Paused twice: the remaining intents keep the due time they were planned with, but more
    # texts are settled after each partial run, so each resume is new work for Dagster.
    due = NOW - timedelta(hours=2)
    first_resume = due_work("w", NOW, 100, due, None, settled=30)
    second_resume = due_work("w", NOW, 100, due, None, settled=55)
    no_progress = due_work("w", NOW, 100, due, None, settled=55)

    assert first_resume != second_resume
    assert second_resume == no_progress  # a run that settled nothing is not relaunched in a loop


def test_sensor_adds_waves_and_launches_those_with_texts_due(engine, database_url, tmp_path):
    now = datetime.now(UTC)
    windows = {
        "open-new": (now - timedelta(days=1), now + timedelta(days=1)),
        "open-deferred": (now - timedelta(days=1), now + timedelta(days=1)),
        "closed": (now - timedelta(days=3), now - timedelta(days=2)),
        "future": (now + timedelta(days=2), now + timedelta(days=3)),
    }
    waves = "".join(
        WAVE.format(wave_id=w, opens=o.isoformat(), closes=c.isoformat())
        for w, (o, c) in windows.items()
    )
    (tmp_path / "campaign.yaml").write_text(CONFIG.replace("WAVES", waves))
    with engine.begin() as conn:  # a wave whose remaining voters wait for 08:00 their time
        conn.execute(
            text(
                "INSERT INTO sends (wave_id, voter_id, link_id, to_phone, variant, segments,"
                " state, not_before) VALUES ('open-deferred', 'V1', 1, '+19195550101', 'A', 1,"
                " 'deferred', :later)"
            ),
            {"later": now + timedelta(hours=2)},
        )
    resources = {
        "campaign": CampaignConfigResource(config_path=str(tmp_path / "campaign.yaml")),
        "postgres": PostgresResource(url=database_url),
    }

    with DagsterInstance.ephemeral() as instance:
        result = wave_window_sensor(build_sensor_context(instance=instance, resources=resources))
        instance.add_dynamic_partitions("waves", list(windows))
        quiet = wave_window_sensor(build_sensor_context(instance=instance, resources=resources))

    assert isinstance(result, SensorResult)
    (added,) = result.dynamic_partitions_requests
    assert added.partition_keys == list(windows)
    assert [(r.partition_key, r.run_key) for r in result.run_requests] == [
        ("open-new", "open-new:open")
    ]
    # Partitions known now; the same due work asks for the same run key (Dagster runs it once).
    assert [r.run_key for r in quiet.run_requests] == ["open-new:open"]
    assert not isinstance(quiet, SkipReason) and not quiet.dynamic_partitions_requests
