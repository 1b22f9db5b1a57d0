"""``python -m campaign_pipelines.linkserver``: the same as ``campaign serve``."""

import typer

from campaign_pipelines.cli.serve import serve

typer.run(serve)
