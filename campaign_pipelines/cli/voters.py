"""``campaign voters …``: synthetic voter files."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

from campaign_pipelines.config import ConfigError, load_config
from campaign_pipelines.config.loader import resolve_path
from campaign_pipelines.voterfile.synth import write_synthetic_voter_file

app = typer.Typer(help="Voter files.")


class FileEncoding(StrEnum):
    utf_8 = "utf-8"
    utf_8_sig = "utf-8-sig"
    cp1252 = "cp1252"


@app.command()
def synth(
    count: int = typer.Option(50_000, "--count", min=1, help="Data rows to write."),
    seed: int = typer.Option(1, "--seed", help="Same count and seed, same bytes."),
    output: Path | None = typer.Option(
        None, "--output", help="File to write (default: the config's voter_file.path)."
    ),
    encoding: FileEncoding = typer.Option(FileEncoding.utf_8, "--encoding"),
    config_path: Path | None = typer.Option(
        None, "--config", help="Campaign config (default: CAMPAIGN_CONFIG, else the NC demo)."
    ),
) -> None:
    """Write a synthetic NC voter file: fictional people at random points in the real districts."""
    started = time.perf_counter()
    try:
        config = load_config(config_path)
        target = output or resolve_path(config, config.voter_file.path)
        summary = write_synthetic_voter_file(
            target, count=count, seed=seed, config=config, encoding=encoding.value
        )
    except (ConfigError, FileNotFoundError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=1) from e

    seconds = time.perf_counter() - started
    typer.echo(
        f"Wrote {summary.rows:,} rows ({summary.voters:,} voters) to {summary.path} "
        f"[{summary.encoding}] in {seconds:.1f} s"
    )
    counts = {
        "duplicate registrations": summary.duplicate_rows,
        "rows without coordinates": summary.rows_without_coordinates,
        "rows without a phone": summary.rows_without_phone,
        "rows with an invalid phone": summary.invalid_phone_rows,
        "rows with a stale district code": summary.stale_district_rows,
        "rows in a real precinct polygon": summary.precinct_polygon_rows,
        "rows with quoted fields": summary.quoted_rows,
        "rows with an embedded newline": summary.embedded_newline_rows,
        "rows with accented names": summary.accented_name_rows,
    }
    for label, value in counts.items():
        typer.echo(f"  {label:<32} {value:>10,}")
