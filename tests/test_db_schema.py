"""The Core tables in ``db/schema`` and the Alembic migrations describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from campaign_pipelines.db import migrate
from campaign_pipelines.db.schema import metadata


def test_schema_matches_migrations(engine, database_url):
    assert migrate.current_revision(database_url) == migrate.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_schema_upgrade_is_idempotent(database_url):
    assert migrate.upgrade(database_url) == migrate.head_revision()
