"""The ``serve`` command: ``campaign serve`` and ``python -m campaign_pipelines.linkserver``.

It lives in the link server's package so that starting a server imports the server and nothing
of the rest of the command line (Dagster among it).
"""

from __future__ import annotations

import logging

import typer

from campaign_pipelines.linkserver.run import AsgiServer
from campaign_pipelines.linkserver.run import serve as run_server
from campaign_pipelines.linkserver.settings import SettingsError, load_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (about one per core)."),
    server: str = typer.Option("granian", help="ASGI server: granian (faster here) or uvicorn."),
) -> None:
    """Serve short links, record every click durably, and receive Twilio's webhooks.

    Required: LINK_IP_HASH_KEY, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL.

    Optional: CAMPAIGN_DATABASE_URL (else the embedded PostgreSQL) and LINK_* settings
    (campaign_pipelines/linkserver/settings.py).
    """
    if server not in ("granian", "uvicorn"):
        raise typer.BadParameter("--server must be granian or uvicorn")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
    except SettingsError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    chosen: AsgiServer = "uvicorn" if server == "uvicorn" else "granian"
    run_server(settings, host=host, port=port, workers=workers, server=chosen)
