"""``python -m campaign_pipelines.linkserver``: the same as ``campaign serve``."""

import typer

from campaign_pipelines.linkserver.command import serve

typer.run(serve)
