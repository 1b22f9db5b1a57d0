"""Alembic environment: the URL comes from the caller (``db.migrate.upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from campaign_pipelines.db.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = config.attributes.get("connection") or create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
