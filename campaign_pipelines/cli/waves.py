"""``campaign waves …``: the waves of the campaign config as Dagster partitions."""

from __future__ import annotations

from pathlib import Path

import typer

from campaign_pipelines.config import ConfigError, load_config
from campaign_pipelines.config.loader import default_config_path

app = typer.Typer(help="Waves: make them known to Dagster before a run.", no_args_is_help=True)


@app.command("add")
def add(
    config_path: Path | None = typer.Option(
        None, "--config", help="Campaign config (default: CAMPAIGN_CONFIG, else the NC demo)."
    ),
) -> None:
    """Add a `waves` partition for every wave in the config, without sending anything.

    After this, `wave_send_job` can be launched for a wave by hand (its partition exists);
    the wave sensor adds partitions too, but it also launches waves whose window is open.
    """
    from dagster import DagsterInstance

    from campaign_pipelines.dagster_env import prepare_dagster_env
    from campaign_pipelines.partitions import wave_partitions

    try:
        config = load_config(config_path or default_config_path())
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e
    wanted = [wave.id for wave in config.messaging.waves]
    if not wanted:
        typer.echo("the config has no waves (messaging.waves is empty)")
        return
    prepare_dagster_env()
    with DagsterInstance.get() as instance:
        known = set(instance.get_dynamic_partitions(wave_partitions.name))
        new = [wave_id for wave_id in wanted if wave_id not in known]
        if new:
            instance.add_dynamic_partitions(wave_partitions.name, new)
    for wave_id in wanted:
        typer.echo(f"{wave_id}: {'added' if wave_id in new else 'already known'}")
