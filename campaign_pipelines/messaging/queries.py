"""The longer SQL of the messaging steps, kept in ``sql/`` as plain files and read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

_SQL = Path(__file__).with_name("sql")


@cache
def query(name: str) -> TextClause:
    return text((_SQL / f"{name}.sql").read_text(encoding="utf-8"))
