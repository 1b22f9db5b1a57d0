"""``campaign db …``: the warehouse database."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import database_url

app = typer.Typer(help="The PostgreSQL warehouse.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target Alembic revision.")) -> None:
    """Apply the schema migrations (starts the embedded PostgreSQL if no URL is set)."""
    url = database_url()
    reached = migrate.upgrade(url, revision)
    typer.echo(f"database {make_url(url).database} is at revision {reached}")


@app.command()
def url() -> None:
    """Print the warehouse URL in use (password hidden)."""
    typer.echo(make_url(database_url()).render_as_string(hide_password=True))
