"""Where the project finds its inputs and keeps its local state.

The public data lives outside the repository (``../shared/data`` from the repo root, or wherever
``CAMPAIGN_DATA_DIR`` points); local state (the embedded database, generated demo files, Dagster's
home) lives in a git-ignored folder, ``.state`` at the repo root unless ``CAMPAIGN_STATE_DIR`` says
otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder holding the public district, polling-place, VIP and Twilio files."""
    configured = os.environ.get("CAMPAIGN_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return (REPO_ROOT.parent / "shared" / "data").resolve()


def state_dir() -> Path:
    """The git-ignored folder for the embedded database and generated files (created on demand)."""
    configured = os.environ.get("CAMPAIGN_STATE_DIR")
    path = Path(configured).expanduser() if configured else REPO_ROOT / ".state"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
