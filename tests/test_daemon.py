"""The production path: ``dagster-daemon run`` ticks the sensors, and their runs do the work.

A real daemon (with its own code server, run workers and step processes) runs against a
PostgreSQL-backed instance in a throwaway DAGSTER_HOME, beside a real link server and the local
Twilio. With wave 1 open, ``wave_window_sensor`` must add the partition and launch
``wave_send_job`` for it, which texts every voter once; clicks made over HTTP on the link server
must then be picked up by ``clicks_sensor``, whose run materialises ``clicks``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter, materialize
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from campaign_pipelines import paths
from campaign_pipelines.assets.destination_catalog import destination_catalog
from campaign_pipelines.assets.district_assignments import district_assignments
from campaign_pipelines.assets.district_layers import district_layers
from campaign_pipelines.assets.voter_routes import voter_routes
from campaign_pipelines.assets.voters import voter_file, voters
from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.dagster_env import (
    DAGSTER_URL_ENV,
    dagster_database_name,
    prepare_dagster_env,
)
from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.demo.services import running_services
from campaign_pipelines.demo.traffic import PHONE_BROWSERS, sent_links
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.voterfile.synth import write_synthetic_voter_file

WAVE = "wave-1"
VOTERS = 300
CLICKS = 2
RUN_TIMEOUT_SECONDS = 120.0
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}

T = TypeVar("T")


@pytest.fixture
def dagster_env(database_url, tmp_path) -> Iterator[dict[str, str]]:
    """``prepare_dagster_env`` as ``campaign dagster`` runs it, with the state folder (and so
    DAGSTER_HOME) in ``tmp_path`` and an empty ``<db>_dagster``; every variable set here or by
    the services (DAGSTER_HOME, TWILIO_*, ...) is undone afterwards."""
    saved = dict(os.environ)
    dagster_db = dagster_database_name(database_url)
    admin = libpq_url(
        make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    )
    with psycopg.connect(admin, autocommit=True) as conn:  # runs of earlier tests stay out
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dagster_db))
        )
    os.environ["CAMPAIGN_DATABASE_URL"] = database_url
    os.environ["CAMPAIGN_STATE_DIR"] = str(tmp_path / "state")  # never the repo's .state
    try:
        env = prepare_dagster_env()
        assert Path(env["DAGSTER_HOME"]).is_relative_to(tmp_path)
        assert make_url(env[DAGSTER_URL_ENV]).database == dagster_db
        yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.slow
def test_daemon_sensors_send_the_wave_and_ingest_clicks(
    engine, database_url, tmp_path, dagster_env
):
    with running_services() as services, DagsterInstance.get() as instance:
        # Routing bakes the link server's address into the campaign's own pages: config first.
        config = _write_config(tmp_path, link_base_url=services.link_base_url)
        sensors = _sensors_from_workspace(instance)
        # clicks_sensor is on by default; it stays off until there are clicks, so that its 30 s
        # interval does not decide how long this test waits (its first tick comes at once).
        instance.stop_sensor(
            sensors["clicks_sensor"].get_remote_origin_id(),
            sensors["clicks_sensor"].selector_id,
            sensors["clicks_sensor"],
        )
        log = tmp_path / "dagster-daemon.log"
        with _daemon(os.environ.copy(), log):  # loads its code server while upstream runs
            _prepare_upstream(database_url, config, instance)

            assert instance.start_sensor(sensors["wave_window_sensor"]).is_running
            wave_run = _wait_for(lambda: _finished_run(instance, "wave_window_sensor"), log)
            assert wave_run.status == DagsterRunStatus.SUCCESS, _tail(log)
            assert wave_run.job_name == "wave_send_job"
            assert wave_run.tags["dagster/partition"] == WAVE
            assert wave_run.tags["dagster/run_key"] == f"{WAVE}:open"
            assert instance.get_dynamic_partitions("waves") == [WAVE]  # added by the sensor
            _assert_wave_sent_once(engine, services.twilio_base_url)

            clicked = _click(engine, services.link_base_url)
            assert instance.start_sensor(sensors["clicks_sensor"]).is_running
            clicks_run = _wait_for(lambda: _finished_run(instance, "clicks_sensor"), log)
            assert clicks_run.status == DagsterRunStatus.SUCCESS, _tail(log)
            assert clicks_run.job_name == "clicks_job"
            materialised = instance.get_latest_materialization_event(AssetKey("clicks"))
            assert materialised is not None and materialised.run_id == clicks_run.run_id

        with engine.connect() as conn:
            ingested = conn.execute(
                text("SELECT wave_id, voter_id FROM click_events ORDER BY voter_id")
            ).all()
        assert [tuple(row) for row in ingested] == clicked
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"

    # The runs are rows in Dagster's PostgreSQL database beside the warehouse.
    dagster_url = make_url(dagster_env[DAGSTER_URL_ENV]).set(drivername="postgresql+psycopg")
    with engine_for(dagster_url.render_as_string(hide_password=False)).connect() as conn:
        stored = dict(conn.execute(text("SELECT run_id, status FROM runs")).all())
    assert stored[wave_run.run_id] == stored[clicks_run.run_id] == "SUCCESS"


def _write_config(tmp_path: Path, *, link_base_url: str) -> Path:
    """The bundled NC campaign with wave 1 open now, every hour a texting hour (so the wave is
    sent whenever the test runs) and the link server's address; exported as CAMPAIGN_CONFIG."""
    data = yaml.safe_load(BUNDLED_DEMO_CONFIG.read_text(encoding="utf-8"))
    data["voter_file"]["path"] = str(tmp_path / "ncvoter.txt")
    data["links"]["base_url"] = link_base_url
    data["messaging"]["texting_hours"] = {"start": "00:00:00", "end": "23:59:59.999999"}
    now = datetime.now(UTC)
    (wave,) = (w for w in data["messaging"]["waves"] if w["id"] == WAVE)
    wave["window"] = {
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
    }
    wave["segments_per_second"] = 2_000  # the local Twilio has no carrier limit
    data["messaging"]["waves"] = [wave]
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    os.environ["CAMPAIGN_CONFIG"] = str(path)
    return path


def _prepare_upstream(database_url: str, config: Path, instance: DagsterInstance) -> None:
    """voters_and_districts_job and routing_job's assets, on a small synthetic voter file."""
    write_synthetic_voter_file(
        config.parent / "ncvoter.txt", count=VOTERS, seed=7, config=load_config(config)
    )
    resources = {
        "postgres": PostgresResource(url=database_url),
        "campaign": CampaignConfigResource(config_path=str(config)),
    }
    for assets, selection in (
        ([voter_file, voters, district_layers, district_assignments],
         [voters, district_layers, district_assignments]),
        ([destination_catalog, voter_routes], None),
    ):  # fmt: skip
        result = materialize(assets, selection=selection, resources=resources, instance=instance)
        assert result.success


def _sensors_from_workspace(instance: DagsterInstance) -> dict:
    """The sensors as ``dagster sensor start -w workspace.yaml`` (or the UI) sees them: the
    workspace file's code location, loaded in this process. The daemon finds a sensor's state by
    location, repository and sensor name, so these are the sensors it ticks."""
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import (
        InProcessWorkspaceLoadTarget,
        WorkspaceFileTarget,
    )

    (origin,) = WorkspaceFileTarget([str(paths.REPO_ROOT / "workspace.yaml")]).create_origins()
    in_process = InProcessCodeLocationOrigin(
        origin.loadable_target_origin, location_name=origin.location_name
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(in_process)) as context:
        location = context.create_request_context().get_code_location(origin.location_name)
        (repository,) = location.get_repositories().values()
        return {sensor.name: sensor for sensor in repository.get_sensors()}


@contextmanager
def _daemon(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """``dagster-daemon run -w workspace.yaml`` from the repo root, stopped with its children."""
    executable = Path(sys.executable).with_name("dagster-daemon")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "run", "-w", "workspace.yaml"],
            cwd=paths.REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the daemon (it shuts its code server down), then SIGKILL whatever is left in its
    process group (a run worker or step process still going after a failure)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _finished_run(instance: DagsterInstance, sensor_name: str):
    """The one run the sensor launched, once it has finished (None before)."""
    runs = instance.get_runs(filters=RunsFilter(tags={"dagster/sensor_name": sensor_name}))
    assert len(runs) <= 1, f"{sensor_name} launched {len(runs)} runs"
    return runs[0] if runs and runs[0].status in FINISHED else None


def _wait_for(poll: Callable[[], T | None], log: Path) -> T:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        found = poll()
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no finished run in {RUN_TIMEOUT_SECONDS:g} s\n{_tail(log)}")


def _tail(log: Path, chars: int = 8000) -> str:
    return "dagster-daemon log:\n" + log.read_text(errors="replace")[-chars:]


def _assert_wave_sent_once(engine, twilio_base_url: str) -> None:
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                text("SELECT state, count(*) FROM sends WHERE wave_id = :w GROUP BY state"),
                {"w": WAVE},
            ).all()
        )
        messages = conn.execute(
            text("SELECT count(*) FROM wave_messages WHERE wave_id = :w"), {"w": WAVE}
        ).scalar_one()
        voters_texted_twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT voter_id FROM sends WHERE wave_id = :w"
                " AND state = 'sent' GROUP BY voter_id HAVING count(*) > 1) t"
            ),
            {"w": WAVE},
        ).scalar_one()
    # Every rendered message went out, none is left planned, deferred or mid-call.
    assert messages > VOTERS // 2
    assert states == {"sent": messages}
    assert voters_texted_twice == 0
    stats = httpx.get(f"{twilio_base_url}/_fake/stats", timeout=5.0).json()
    assert stats["outbound"] == messages
    assert set(stats["by_to"].values()) == {1}  # Twilio was asked once per number


def _click(engine, link_base_url: str) -> list[tuple[str, str]]:
    """A person taps the first link of a few texted voters; returns (wave, voter) of each."""
    links = sent_links(engine, WAVE).drop_duplicates("voter_id").head(CLICKS)
    assert len(links) == CLICKS
    with httpx.Client(base_url=link_base_url, timeout=10.0) as client:
        for code in links["code"]:
            response = client.get(f"/{code}", headers={"user-agent": PHONE_BROWSERS[0]})
            assert response.status_code < 400, (code, response.status_code)
    deadline = time.monotonic() + 30.0
    recorded = 0
    while time.monotonic() < deadline and recorded < CLICKS:
        time.sleep(0.2)
        with engine.connect() as conn:
            recorded = conn.execute(text("SELECT count(*) FROM clicks")).scalar_one()
    assert recorded == CLICKS
    return sorted((WAVE, voter_id) for voter_id in links["voter_id"])
