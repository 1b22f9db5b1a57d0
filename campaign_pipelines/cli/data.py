"""``campaign data …``: find or fetch the public data files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from campaign_pipelines import paths
from campaign_pipelines.datafiles import fetch as datafetch
from campaign_pipelines.datafiles.errors import DataFetchError

app = typer.Typer(help="Public data files (district polygons, polling places, VIP, Twilio spec).")

DestOption = Annotated[
    Path | None,
    typer.Option(
        "--dest",
        help="Data folder to use. Default: CAMPAIGN_DATA_DIR, else ../shared/data from the repo.",
        file_okay=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="GLOB",
        help="Only files whose relative path matches this glob (repeatable), e.g. 'vip/*'.",
    ),
]


@app.command("fetch")
def fetch_command(
    dest: DestOption = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror",
            metavar="URL",
            envvar="CAMPAIGN_DATA_MIRROR",
            help="Base URL of a copy of the data folder to use instead of the official sources.",
        ),
    ] = None,
    only: OnlyOption = None,
) -> None:
    """Download missing or wrong data files from their official sources, verified by sha256."""
    target = dest or paths.data_dir()
    try:
        report = datafetch.fetch(target, mirror=mirror, only=only)
    except DataFetchError as e:
        typer.echo(f"Error: {e}", err=True)
        raise typer.Exit(1) from e

    typer.echo(
        f"{len(report.downloaded)} downloaded, {len(report.already_present)} already present "
        f"in {target}"
    )
    for path in report.verified_canonically:
        typer.echo(f"Note: {path} was verified by its canonical JSON checksum (bytes differ).")


@app.command("check")
def check_command(dest: DestOption = None, only: OnlyOption = None) -> None:
    """Verify a data folder against the manifest; exit 1 listing every problem."""
    target = dest or paths.data_dir()
    try:
        problems = datafetch.check(target, only=only)
    except DataFetchError as e:
        typer.echo(f"Error: {e}", err=True)
        raise typer.Exit(1) from e

    if problems:
        typer.echo(f"{len(problems)} problem(s) in {target}:", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"All data files present and verified in {target}")


@app.command("where")
def where_command() -> None:
    """Print the data folder in use and whether it is complete."""
    target = paths.data_dir()
    origin = "CAMPAIGN_DATA_DIR" if os.environ.get("CAMPAIGN_DATA_DIR") else "default"
    typer.echo(f"{target} ({origin})")
    if not target.is_dir():
        typer.echo("missing: run `campaign data fetch` to download it")
        raise typer.Exit(1)

    problems = datafetch.check(target)
    if problems:
        typer.echo(f"incomplete: {len(problems)} problem(s); see `campaign data check`")
        raise typer.Exit(1)
    typer.echo("complete: every data file present and verified")
