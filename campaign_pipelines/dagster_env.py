"""The environment Dagster runs in: its home folder and its PostgreSQL storage.

Dagster keeps runs, events and schedules in the ``<warehouse>_dagster`` database on the same
server as the warehouse (dagster-postgres); ``DAGSTER_HOME`` is ``.state/dagster`` holding a copy
of the repository's ``dagster.yaml``.
"""

from __future__ import annotations

import os
import shutil

from sqlalchemy.engine import make_url

from campaign_pipelines import paths
from campaign_pipelines.db.server import DATABASE_URL_ENV, database_url

DAGSTER_URL_ENV = "CAMPAIGN_DAGSTER_DATABASE_URL"


def dagster_database_name(warehouse_url: str) -> str:
    """Dagster's database sits beside the warehouse: ``<warehouse>_dagster``."""
    return f"{make_url(warehouse_url).database or 'campaign'}_dagster"


def prepare_dagster_env() -> dict[str, str]:
    """Start/locate PostgreSQL, write DAGSTER_HOME, export and return the variables it needs."""
    warehouse = database_url()
    dagster_db = database_url(dagster_database_name(warehouse))
    home = paths.state_dir() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        DATABASE_URL_ENV: warehouse,
        # dagster-postgres speaks psycopg2; SQLAlchemy 2.1 would otherwise pick psycopg 3.
        DAGSTER_URL_ENV: make_url(dagster_db)
        .set(drivername="postgresql+psycopg2")
        .render_as_string(hide_password=False),
        "DAGSTER_HOME": str(home),
    }
    os.environ.update(env)
    return env
