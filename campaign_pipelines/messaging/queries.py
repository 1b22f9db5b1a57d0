"""The longer SQL of the messaging steps, kept in ``sql/`` as plain files and read once, and the
statistics refresh that bulk writes need."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import Connection, TextClause, text

_SQL = Path(__file__).with_name("sql")


@cache
def query(name: str) -> TextClause:
    return text((_SQL / f"{name}.sql").read_text(encoding="utf-8"))


# Tables a messaging step bulk-writes and then joins at once: left to autovacuum, the planner
# would still believe a new wave has one row and loop over the whole wave for every row.
ANALYZED = frozenset({"sends", "wave_messages", "wave_audience"})


def analyze(conn: Connection, table: str) -> None:
    if table not in ANALYZED:
        raise ValueError(f"not a messaging table: {table!r}")
    conn.execute(text(f"ANALYZE {table}"))
