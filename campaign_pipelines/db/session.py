"""Engines and transactions: one context manager owns each transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, future=True)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """Commit on success, roll back on error, always return the connection to the pool."""
    with engine.begin() as conn:
        yield conn
