"""PostgreSQL for the link server: one connection pool, held connections, and a breaker.

The pool hands out psycopg async connections in autocommit mode; writes open their own
transaction. The click writer and the link lookups each hold one connection between batches
(``HeldConnection``) so the hot path never waits on the pool. A connection found dead (the
server restarted since it was last used) costs one retry, not a failed request.
``DatabaseState`` is the breaker: after a failure the click path stops trying PostgreSQL and
spools instead, until the recovery task (see ``recovery``) has seen the server answer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")

# What "PostgreSQL is unreachable" looks like from here: refused or broken connections, a pool
# with none to give, and our own time-outs.
UNREACHABLE = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout, TimeoutError)


RECONNECT_TIMEOUT_SECONDS = 5.0


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL is known to be unreachable; the caller should not wait for it."""


def create_pool(url: str, *, timeout: float, writers: int) -> AsyncConnectionPool:
    """A small pool, opened by the caller, that gives up quickly when the server is gone:
    a connection for each concurrent click commit, one for link look-ups, a few for the rest."""
    return AsyncConnectionPool(
        url,
        min_size=writers + 1,
        max_size=writers + 5,
        open=False,
        timeout=timeout,
        # Give up a failing reconnection soon: its back-off doubles, and the next request starts
        # a fresh attempt anyway, so a long outage does not delay recovery by minutes.
        reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
        kwargs={"autocommit": True, "connect_timeout": max(1, round(timeout))},
        name="linkserver",
    )


class DatabaseState:
    """Whether the click path should try PostgreSQL, with one log line per change."""

    def __init__(self) -> None:
        self.reachable = True

    def mark_down(self, error: BaseException) -> None:
        if self.reachable:
            log.warning(
                "PostgreSQL unreachable (%s); clicks go to the spool until it returns",
                type(error).__name__,
            )
        self.reachable = False

    def mark_up(self) -> None:
        if not self.reachable:
            log.info("PostgreSQL reachable again")
        self.reachable = True

    def require(self) -> None:
        if not self.reachable:
            raise DatabaseUnavailable("PostgreSQL is unreachable")


async def run_pooled(
    pool: AsyncConnectionPool,
    operation: Callable[[psycopg.AsyncConnection], Awaitable[T]],
    *,
    timeout: float | None = None,
) -> T:
    """``operation`` on a connection from the pool; if that connection turns out to be dead,
    the pool's idle connections are tested (the dead ones replaced) and it runs once more.

    After PostgreSQL restarts, every idle connection in the pool is dead; without this, each
    would fail one request (a webhook answered 503, which Twilio does not resend) in turn.
    Only a connection found broken is retried, so ``operation`` must be safe to repeat when it
    failed with the connection: one transaction, or statements that skip rows already stored.
    """
    conn: psycopg.AsyncConnection | None = None
    try:
        async with pool.connection(timeout) as conn:
            return await operation(conn)
    except UNREACHABLE:
        if conn is None or not conn.broken:
            raise
    await pool.check()
    async with pool.connection(timeout) as conn:
        return await operation(conn)


class HeldConnection:
    """One pooled connection kept by a single user (a flusher task) until it fails."""

    def __init__(self, pool: AsyncConnectionPool, *, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout
        self._conn: psycopg.AsyncConnection | None = None

    async def get(self) -> psycopg.AsyncConnection:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        await self.release()
        self._conn = await self._pool.getconn(timeout=self._timeout)
        return self._conn

    async def run(self, operation: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        """``operation`` on the held connection; if that connection turns out to be dead (the
        server restarted since its last use), once more on a fresh one from the pool.

        Only a connection found broken is retried: a time-out or an error from the statement
        itself is raised as it is. The operations given here are safe to repeat: a look-up, or
        a COPY of clicks whose unique ``click_uuid`` refuses a batch stored twice.
        """
        conn = await self.get()
        try:
            return await operation(conn)
        except UNREACHABLE:
            if not conn.broken:
                raise
            await self.release()
        await self._pool.check()
        return await operation(await self.get())

    async def release(self) -> None:
        """Give the connection back; the pool throws away one that is broken or mid-query."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._pool.putconn(conn), self._timeout)
