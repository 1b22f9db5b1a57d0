"""Shared fixtures: a throwaway database on the real PostgreSQL for each test session.

With ``CAMPAIGN_DATABASE_URL`` set (CI sets the machine's server) the test database is created
on that server; otherwise on the embedded PostgreSQL, exactly as a new user's machine would.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from campaign_pipelines.dagster_env import dagster_database_name
from campaign_pipelines.db import migrate
from campaign_pipelines.db.schema import metadata
from campaign_pipelines.db.server import ensure_database, libpq_url, server_url
from campaign_pipelines.db.session import engine_for


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"campaign_test_{os.getpid()}_{secrets.token_hex(3)}"
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    migrate.upgrade(url)
    yield url
    engine_for(url).dispose()
    admin = libpq_url(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        # Dagster's storage beside it, if a test made one (prepare_dagster_env, the demo).
        for database in (name, dagster_database_name(url)):
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


def empty_warehouse(engine: Engine) -> None:
    """Truncate every warehouse table: what one test left must not steer the next."""
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def emptier() -> Callable[[Engine], None]:
    """``empty_warehouse`` for fixtures wider than one test (which cannot use ``engine``)."""
    return empty_warehouse


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, emptied before each test that asks for it."""
    engine = engine_for(database_url)
    empty_warehouse(engine)
    yield engine
