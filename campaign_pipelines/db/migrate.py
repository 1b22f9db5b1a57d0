"""Apply the Alembic migrations that own the warehouse schema."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from campaign_pipelines.db.session import engine_for

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current_revision(url: str) -> str | None:
    with engine_for(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> str:
    """Bring the database at ``url`` to ``revision``; a no-op when it is already there."""
    if revision == "head" and current_revision(url) == head_revision():
        return head_revision()
    log.info("applying migrations up to %s", revision)
    command.upgrade(alembic_config(url), revision)
    return current_revision(url) or ""
