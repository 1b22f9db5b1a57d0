"""``campaign demo``: the whole chain end to end on the real NC data."""

from __future__ import annotations

import typer

from campaign_pipelines.demo import run_demo


def demo(
    voters: int = typer.Option(
        None, help="Synthetic voters to generate (default: DEMO_VOTERS or 50,000)."
    ),
) -> None:
    """Generate voters, run the pipeline on a PostgreSQL-backed Dagster instance, summarise."""
    outcome = run_demo(voters=voters)
    if not outcome.success:
        typer.echo(f"demo failed; checks not passing: {outcome.checks_failed}", err=True)
        raise typer.Exit(1)
