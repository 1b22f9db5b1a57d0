"""``PostgresResource``: the warehouse, migrated to the latest schema before any asset runs."""

from __future__ import annotations

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr
from sqlalchemy import Engine

from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import database_url, normalise_url
from campaign_pipelines.db.session import engine_for


class PostgresResource(ConfigurableResource):
    """The campaign warehouse in PostgreSQL.

    ``url`` comes from ``CAMPAIGN_DATABASE_URL`` (an ``EnvVar``, hidden in the UI); when it is
    not set the embedded PostgreSQL in the project's state folder is started and used.
    """

    url: str | None = None
    _resolved: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._resolved = normalise_url(self.url) if self.url else database_url()
        migrate.upgrade(self._resolved)

    def database_url(self) -> str:
        if self._resolved is None:
            self._resolved = normalise_url(self.url) if self.url else database_url()
        return self._resolved

    def engine(self) -> Engine:
        return engine_for(self.database_url())
