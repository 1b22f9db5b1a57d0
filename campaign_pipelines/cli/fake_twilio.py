"""``campaign fake-twilio``: the local Twilio-compatible server for tests and the demo."""

from __future__ import annotations

import logging
import os

import typer

from campaign_pipelines.fake_twilio import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, run
from campaign_pipelines.fake_twilio.options import ACCOUNT_SID_PATTERN


def fake_twilio(
    host: str = typer.Option("127.0.0.1", help="Interface to bind; keep it on loopback."),
    port: int = typer.Option(8099, help="Port to listen on."),
    rate_limit: float | None = typer.Option(
        None,
        help="Messages per second before answering 429 (Twilio code 20429); no limit if unset.",
    ),
) -> None:
    """Run a local Twilio-compatible Messages API.

    Credentials come from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or clearly fake local defaults.
    Point the official client at it with campaign_pipelines.fake_twilio.local_client.
    """
    account_sid = os.environ.get("TWILIO_ACCOUNT_SID") or LOCAL_ACCOUNT_SID
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN") or LOCAL_AUTH_TOKEN
    if not ACCOUNT_SID_PATTERN.match(account_sid):
        raise typer.BadParameter("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits")
    if rate_limit is not None and rate_limit <= 0:
        raise typer.BadParameter("--rate-limit must be a positive number of messages per second")

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run(host=host, port=port, account_sid=account_sid, auth_token=auth_token, rate_limit=rate_limit)
