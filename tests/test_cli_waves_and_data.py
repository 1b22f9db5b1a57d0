"""``campaign waves add`` makes the config's waves Dagster partitions; ``data where`` exit codes."""

from __future__ import annotations

from dagster import DagsterInstance
from typer.testing import CliRunner

from campaign_pipelines.cli import app
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.dagster_env import DAGSTER_URL_ENV
from campaign_pipelines.db.server import libpq_url

runner = CliRunner()


def test_cli_waves_add_adds_each_wave_once_and_sends_nothing(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", libpq_url(database_url))
    monkeypatch.setenv("CAMPAIGN_STATE_DIR", str(tmp_path / "state"))
    # Whatever the command exports for Dagster is put back after the test.
    for name in ("DAGSTER_HOME", DAGSTER_URL_ENV):
        monkeypatch.delenv(name, raising=False)

    first = runner.invoke(app, ["waves", "add", "--config", str(BUNDLED_DEMO_CONFIG)])
    again = runner.invoke(app, ["waves", "add", "--config", str(BUNDLED_DEMO_CONFIG)])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "wave-1: added"
    assert again.output.strip() == "wave-1: already known"
    with DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("waves") == ["wave-1"]
        assert instance.get_runs() == []


def test_cli_waves_add_reports_a_bad_config_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BUNDLED_DEMO_CONFIG.read_text().replace("numeric_id: true", "numeric_id: x", 1))

    result = runner.invoke(app, ["waves", "add", "--config", str(bad)])

    assert result.exit_code == 1
    assert "bad.yaml:" in result.output and "numeric_id" in result.output


def test_cli_data_where_fails_when_the_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_DATA_DIR", str(tmp_path / "nowhere"))

    result = runner.invoke(app, ["data", "where"])

    assert result.exit_code == 1
    assert "missing: run `campaign data fetch`" in result.output
