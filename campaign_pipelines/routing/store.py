"""Writing links: a voter's code never changes, new codes are unique by constraint, all by COPY.

A wave's existing links are read first; their codes are kept and only their destination fields
are refreshed (so a re-run after the catalog changed re-points them, never re-codes them). The
missing links get fresh codes and are COPYed straight into ``links`` inside a savepoint. A
unique-constraint violation there (a code collision, or another run minting the same wave) rolls
back only the savepoint; the rows then go through a temporary table and ``INSERT … ON CONFLICT
DO NOTHING``, and those that did not land are minted again until every row has a code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import psycopg
import sqlalchemy.exc
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, insert, text, update

from campaign_pipelines.db.schema.links import links
from campaign_pipelines.routing.codes import new_codes
from campaign_pipelines.routing.minting import LINK_COLUMNS

log = logging.getLogger(__name__)

MAX_MINT_ROUNDS = 8
_KEY = ["voter_id", "route", "channel"]
_REFRESHED = ["destination_key", "destination_url", "utm", "timezone", "context"]
_STAGE = "links_stage"


@dataclass(frozen=True)
class MintStats:
    minted: int
    reused: int
    refreshed: int
    collisions: int


def write_links(conn: Connection, wave_id: str, rows: pd.DataFrame) -> MintStats:
    """Give every row of one wave (``LINK_COLUMNS``) a link, inside the caller's transaction."""
    existing = pd.read_sql(
        text(
            "SELECT voter_id, route, channel, link_id FROM links "
            "WHERE wave_id = :wave AND voter_id IS NOT NULL"
        ),
        conn,
        params={"wave": wave_id},
    )
    if existing.empty:
        known, fresh = existing, rows[LINK_COLUMNS]
    else:
        keyed = rows.merge(existing, how="left", on=_KEY)
        known = keyed[keyed["link_id"].notna()]
        fresh = keyed[keyed["link_id"].isna()][LINK_COLUMNS]

    refreshed = _refresh(conn, known) if len(known) else 0
    collisions = _mint(conn, fresh) if len(fresh) else 0
    return MintStats(len(fresh), len(known), refreshed, collisions)


def _mint(conn: Connection, rows: pd.DataFrame) -> int:
    """Insert ``rows`` with new codes; returns how many codes had to be drawn again."""
    rows = rows.assign(code=new_codes(len(rows)))
    try:
        with conn.begin_nested():
            copy_rows(conn, "links", rows)
        return 0
    except psycopg.errors.UniqueViolation:
        log.info("a code or link was already taken; staging %d new links", len(rows))
    return _mint_with_retries(conn, rows)


def _mint_with_retries(conn: Connection, rows: pd.DataFrame) -> int:
    columns = ", ".join(["code", *LINK_COLUMNS])
    conn.execute(text(f"DROP TABLE IF EXISTS {_STAGE}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {_STAGE} ON COMMIT DROP AS SELECT {columns} FROM links WITH NO DATA"
        )
    )
    redrawn = 0
    pending = rows
    for _ in range(MAX_MINT_ROUNDS):
        conn.execute(text(f"TRUNCATE {_STAGE}"))
        copy_rows(conn, _STAGE, pending[["code", *LINK_COLUMNS]])
        landed = pd.DataFrame(
            conn.execute(
                text(
                    f"INSERT INTO links ({columns}) SELECT {columns} FROM {_STAGE} "
                    "ON CONFLICT DO NOTHING RETURNING voter_id, route, channel"
                )
            ).all(),
            columns=_KEY,
        )
        pending = _not_in(pending, landed)
        pending = _not_in(pending, _taken_meanwhile(conn, pending))
        if pending.empty:
            return redrawn
        redrawn += len(pending)
        pending = pending.assign(code=new_codes(len(pending)))
    raise RuntimeError(
        f"{len(pending)} links still without a unique code after "
        f"{MAX_MINT_ROUNDS} rounds; is the links_code_unique index intact?"
    )


def copy_rows(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame`` into ``table`` inside the caller's transaction; missing values are NULL.

    Rows go through psycopg's ``write_row`` with a queued writer: a thread sends buffers to the
    server while this one formats the next rows, so formatting hides behind the server's work.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    )
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object)
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = None
        columns.append(values)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _taken_meanwhile(conn: Connection, pending: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``pending`` another run linked while we were minting (they keep its code)."""
    if pending.empty:
        return pending[_KEY]
    wave_id = pending["wave_id"].iloc[0]
    return pd.read_sql(
        text(
            "SELECT voter_id, route, channel FROM links WHERE wave_id = :wave "
            "AND voter_id = ANY(:voters)"
        ),
        conn,
        params={"wave": wave_id, "voters": pending["voter_id"].unique().tolist()},
    )


def _not_in(rows: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    if keys.empty:
        return rows
    marked = rows.merge(keys.drop_duplicates(), how="left", on=_KEY, indicator=True)
    return marked[marked["_merge"] == "left_only"].drop(columns="_merge")


def _refresh(conn: Connection, known: pd.DataFrame) -> int:
    """Re-point existing links whose destination fields changed; returns how many did."""
    conn.execute(text(f"DROP TABLE IF EXISTS {_STAGE}_refresh"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {_STAGE}_refresh ON COMMIT DROP AS "
            f"SELECT link_id, {', '.join(_REFRESHED)} FROM links WITH NO DATA"
        )
    )
    frame = known[["link_id", *_REFRESHED]].assign(link_id=known["link_id"].astype("int64"))
    copy_rows(conn, f"{_STAGE}_refresh", frame)
    assignments = ", ".join(f"{c} = s.{c}" for c in _REFRESHED)
    current = ", ".join(f"l.{c}" for c in _REFRESHED)
    staged = ", ".join(f"s.{c}" for c in _REFRESHED)
    result = conn.execute(
        text(
            f"UPDATE links l SET {assignments} FROM {_STAGE}_refresh s WHERE l.link_id = s.link_id "
            f"AND ({current}) IS DISTINCT FROM ({staged})"
        )
    )
    return result.rowcount


def write_placement(conn: Connection, row: dict, *, vanity: str | None) -> str:
    """Create or re-point the shared link of one placement; returns its code. An existing
    placement keeps its code unless the config now names a different vanity code."""
    current = conn.execute(
        text("SELECT code FROM links WHERE placement = :placement"), {"placement": row["placement"]}
    ).scalar()
    code = vanity or current
    for _ in range(MAX_MINT_ROUNDS):
        candidate = code or str(new_codes(1)[0])
        try:
            with conn.begin_nested():
                _upsert_placement(conn, {**row, "code": candidate}, exists=current is not None)
            return candidate
        except sqlalchemy.exc.IntegrityError as e:
            if vanity is not None or current is not None:
                raise PlacementCodeTaken(
                    f"placement {row['placement']!r}: code {candidate!r} is already another "
                    "link's code; choose another vanity code"
                ) from e
    raise RuntimeError(f"placement {row['placement']!r}: no free code in {MAX_MINT_ROUNDS} draws")


class PlacementCodeTaken(ValueError):
    """A placement's vanity code belongs to another link."""


def _upsert_placement(conn: Connection, row: dict, *, exists: bool) -> None:
    values = {c: row.get(c) for c in ["code", *LINK_COLUMNS]}
    if exists:
        conn.execute(update(links).where(links.c.placement == row["placement"]).values(**values))
    else:
        conn.execute(insert(links).values(**values))
