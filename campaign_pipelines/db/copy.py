"""Bulk loading through PostgreSQL COPY (never row-by-row inserts)."""

from __future__ import annotations

import io

import pandas as pd
from psycopg import sql
from sqlalchemy import Connection

_CHUNK_ROWS = 200_000


def copy_dataframe(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """COPY ``frame`` into ``table`` (columns by name) inside the caller's transaction.

    Missing values (None/NaN) become NULL. ``table`` must be a constant of ours, never user input.
    """
    if frame.empty:
        return 0
    raw = conn.connection.driver_connection
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')").format(
        sql.Identifier(table), columns
    )
    with raw.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(frame), _CHUNK_ROWS):
            buffer = io.StringIO()
            frame.iloc[start : start + _CHUNK_ROWS].to_csv(
                buffer, index=False, header=False, na_rep="\\N"
            )
            copy.write(buffer.getvalue())
    return len(frame)
