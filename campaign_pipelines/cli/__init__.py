"""The ``campaign`` command line: one entry point that grows with the product."""

from __future__ import annotations

import typer

from campaign_pipelines.cli import (
    dagster_cmd,
    data,
    db,
    demo,
    fake_twilio,
    links,
    voters,
    waves,
)
from campaign_pipelines.linkserver.command import serve

app = typer.Typer(
    name="campaign",
    help="Link routing and SMS tracking for campaigns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(voters.app, name="voters")
app.add_typer(data.app, name="data")
app.add_typer(links.app, name="links")
app.add_typer(waves.app, name="waves")
app.command("fake-twilio")(fake_twilio.fake_twilio)
app.command("demo")(demo.demo)
app.command("serve")(serve)
app.command(
    "dagster",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)(dagster_cmd.dagster)
