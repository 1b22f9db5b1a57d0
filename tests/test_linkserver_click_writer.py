"""The click writer on a real PostgreSQL: batches keep their connection, a broken one is let go.

Each concurrent batch holds one pooled connection between batches (taking one from the pool per
batch cost more than the write). These tests check the two things that must stay true: batches
keep reusing the connection they hold, and a held connection found dead (PostgreSQL restarted
since its last batch) is given back and the batch commits on a fresh connection instead.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
from sqlalchemy import Engine, text

from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.linkserver.clicks import ClickWriter
from campaign_pipelines.linkserver.database import DatabaseState, create_pool
from campaign_pipelines.linkserver.records import ClickRecord, new_click_uuid
from campaign_pipelines.linkserver.spool import Spool


def clicks(n: int) -> list[ClickRecord]:
    now = datetime.now(UTC)
    return [
        ClickRecord(new_click_uuid(), 7, now, "GET", "UA", None, "ab" * 16, True, "person",
                    "https://example.org/", None)
        for _ in range(n)
    ]  # fmt: skip


def backends_writing_clicks(url: str) -> set[int]:
    """PIDs of the server processes whose last statement was the click COPY."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'COPY clicks%%'"
        ).fetchall()
    return {pid for (pid,) in rows}


def test_batches_reuse_the_connection_they_hold(database_url: str, engine: Engine, tmp_path):
    url = libpq_url(database_url)

    async def main() -> tuple[set[int], int]:
        pool = create_pool(url, timeout=2.0, writers=2)
        await pool.open(wait=True)
        writer = ClickWriter(pool, Spool(tmp_path / "spool"), DatabaseState(), timeout=2.0)
        try:
            for _ in range(5):  # one after another: one flusher, so one connection
                await writer.write(clicks(3))
            pids = backends_writing_clicks(url)
        finally:
            await writer.close()
            await pool.close()
        return pids, writer.committed

    pids, committed = asyncio.run(main())

    assert len(pids) == 1
    assert committed == 15
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clicks")).scalar_one() == 15


def test_a_connection_lost_under_a_batch_is_replaced_and_nothing_is_lost(
    database_url: str, engine: Engine, tmp_path
):
    url = libpq_url(database_url)
    spool = Spool(tmp_path / "spool")
    spool.open()

    async def main() -> tuple[int, int, bool, bool]:
        pool = create_pool(url, timeout=2.0, writers=2)
        await pool.open(wait=True)
        state = DatabaseState()
        writer = ClickWriter(pool, spool, state, timeout=2.0)
        try:
            await writer.write(clicks(2))
            (held_pid,) = backends_writing_clicks(url)
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (held_pid,))
            # As after a server restart: the held connection is dead, PostgreSQL is not.
            await writer.write(clicks(3))
            replaced = held_pid not in backends_writing_clicks(url)
            await writer.write(clicks(4))
        finally:
            await writer.close()
            await pool.close()
        return writer.spooled, writer.committed, replaced, state.reachable

    spooled, committed, replaced, reachable = asyncio.run(main())

    # The batch that met the dead connection was committed on a fresh one, not spooled, and
    # the breaker stayed closed (it used to open, and uncached links answered 503 meanwhile).
    assert (spooled, committed, replaced, reachable) == (0, 2 + 3 + 4, True, True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clicks")).scalar_one() == 9
