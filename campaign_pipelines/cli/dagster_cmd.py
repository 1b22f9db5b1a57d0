"""``campaign dagster …``: run the ``dagster`` CLI against the project's PostgreSQL storage."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer

from campaign_pipelines import paths
from campaign_pipelines.dagster_env import prepare_dagster_env


def dagster(ctx: typer.Context) -> None:
    """Run any ``dagster`` command (e.g. ``dev -w workspace.yaml``) with storage configured."""
    env = {**os.environ, **prepare_dagster_env()}
    beside_python = Path(sys.executable).with_name("dagster")
    executable = str(beside_python) if beside_python.exists() else shutil.which("dagster")
    if executable is None:
        raise typer.BadParameter("the dagster command is not installed in this environment")
    # A child process (not exec) so the embedded PostgreSQL is stopped when dagster exits.
    completed = subprocess.run([executable, *ctx.args], env=env, cwd=paths.REPO_ROOT, check=False)
    raise typer.Exit(completed.returncode)
