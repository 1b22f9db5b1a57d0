"""``campaign links …``: shared links, their QR codes, and where a link sends a click now."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy import select

from campaign_pipelines.config import ConfigError, load_config
from campaign_pipelines.db.schema.links import links
from campaign_pipelines.db.server import database_url
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.routing.qr import short_url, write_qr
from campaign_pipelines.routing.resolve import load_resolver

app = typer.Typer(
    help="Short links: shared placements, QR codes, resolution.", no_args_is_help=True
)

CONFIG_OPTION = typer.Option(
    None, "--config", help="Campaign config (default: CAMPAIGN_CONFIG, else the NC demo)."
)


class ImageFormat(StrEnum):
    svg = "svg"
    png = "png"


@app.command()
def qr(
    code: str = typer.Argument(..., help="The link's code (or a placement's vanity code)."),
    image_format: ImageFormat = typer.Option(ImageFormat.svg, "--format"),
    output: Path | None = typer.Option(None, "--output", help="File to write (default CODE.svg)."),
    scale: int = typer.Option(10, "--scale", min=1, max=100, help="Pixels per module."),
    config_path: Path | None = CONFIG_OPTION,
) -> None:
    """Write the QR code of a short link, for a yard sign, mailer or TV spot."""
    base_url = _base_url(config_path)
    with engine_for(database_url()).connect() as conn:
        found = conn.execute(select(links.c.link_id).where(links.c.code == code)).first()
    if found is None:
        typer.echo(f"error: no link has code {code!r}", err=True)
        raise typer.Exit(code=1)

    target = output or Path(f"{code}.{image_format.value}")
    write_qr(short_url(base_url, code), target, kind=image_format.value, scale=scale)
    typer.echo(f"Wrote {target} ({image_format.value}) for {short_url(base_url, code)}")


@app.command()
def placements(config_path: Path | None = CONFIG_OPTION) -> None:
    """List the shared links (QR, TV, mail) with their short URLs."""
    base_url = _base_url(config_path)
    query = select(links.c.placement, links.c.route, links.c.channel, links.c.code).where(
        links.c.placement.is_not(None)
    )
    with engine_for(database_url()).connect() as conn:
        rows = conn.execute(query.order_by(links.c.placement)).all()
    if not rows:
        typer.echo("no shared links yet: materialise a wave of the links asset first")
        return
    for placement, route, channel, code in rows:
        typer.echo(f"{placement:<24} {route:<14} {channel:<5} {short_url(base_url, code)}")


@app.command()
def resolve(
    code: str = typer.Argument(..., help="The link's code."),
    zip_code: str | None = typer.Option(None, "--zip", help="ZIP a visitor typed (shared links)."),
    at: datetime | None = typer.Option(None, "--at", help="Moment of the click (default now)."),
) -> None:
    """Show where a click on a link would go, and by which rule."""
    if at is not None and at.tzinfo is None:
        typer.echo("error: --at needs a UTC offset, e.g. 2026-11-03T19:30:00-05:00", err=True)
        raise typer.Exit(code=1)
    now = (at or datetime.now(UTC)).astimezone(UTC)
    with engine_for(database_url()).connect() as conn:
        link = conn.execute(select(links).where(links.c.code == code)).mappings().first()
        resolver = load_resolver(conn)
    if link is None:
        typer.echo(f"error: no link has code {code!r}", err=True)
        raise typer.Exit(code=1)
    result = resolver.resolve(link, now=now, zip_code=zip_code)
    where = result.url or ("the ZIP landing page" if result.needs_zip else "nowhere")
    typer.echo(f"{code} -> {where} (rule {result.rule})")


def _base_url(config_path: Path | None) -> str:
    try:
        return load_config(config_path).links.base_url
    except ConfigError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=1) from e
