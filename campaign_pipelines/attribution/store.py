"""Write one imported action file: its import record, matched and unmatched actions, quarantine.

A row whose export id was imported before (an overlapping ActBlue export, the same history file
renamed) is quarantined as ``already_imported``; the file as a whole is imported once (by its
SHA-256). Rows read = matched + unmatched + quarantined, enforced by the table itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text, update

from campaign_pipelines.attribution.importers import Parsed
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import action_imports
from campaign_pipelines.db.session import transaction

_ACTION_COLUMNS = [
    "import_id", "source", "source_key", "source_row", "action_type", "acted_at", "amount",
    "voter_id", "link_id", "refcode", "match_rule", "unmatched_reason", "raw",
]  # fmt: skip


@dataclass(frozen=True)
class ImportOutcome:
    import_id: int
    source: str
    file: str
    rows_read: int
    matched: int
    unmatched: int
    quarantined: int
    by_rule: dict[str, int]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def already_imported(engine: Engine, source: str, sha256: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            select(action_imports.c.import_id).where(
                action_imports.c.source == source, action_imports.c.sha256 == sha256
            )
        ).first()
    return found is not None


def store_import(
    engine: Engine, *, source: str, path: Path, sha256: str, parsed: Parsed, matched: pd.DataFrame
) -> ImportOutcome:
    """``matched`` is ``parsed.actions`` after ``matching.match_actions``."""
    with transaction(engine) as conn:
        import_id = conn.execute(
            insert(action_imports)
            .values(source=source, source_file=path.name, sha256=sha256, rows_read=parsed.rows_read,
                    rows_matched=0, rows_unmatched=0, rows_quarantined=parsed.rows_read)
            .returning(action_imports.c.import_id)
        ).scalar_one()  # fmt: skip
        kept = _insert_actions(conn, import_id, source, matched)
        repeats = matched[~matched["source_key"].isin(kept)]
        quarantine = parsed.quarantine + [
            {"source_row": int(r.source_row), "field": "source_key", "reason": "already_imported",
             "detail": "this export id was imported from an earlier file", "raw": r.raw}
            for r in repeats.itertuples()
        ]  # fmt: skip
        _insert_quarantine(conn, import_id, quarantine)
        stored = matched[matched["source_key"].isin(kept)]
        unmatched = int((stored["match_rule"] == "unmatched").sum())
        conn.execute(
            update(action_imports)
            .where(action_imports.c.import_id == import_id)
            .values(rows_matched=len(stored) - unmatched, rows_unmatched=unmatched,
                    rows_quarantined=len(quarantine))
        )  # fmt: skip
    return ImportOutcome(
        import_id=int(import_id),
        source=source,
        file=path.name,
        rows_read=parsed.rows_read,
        matched=len(stored) - unmatched,
        unmatched=unmatched,
        quarantined=len(quarantine),
        by_rule={str(k): int(v) for k, v in stored["match_rule"].value_counts().items()},
    )


def _insert_actions(conn: Connection, import_id: int, source: str, frame: pd.DataFrame) -> set:
    if frame.empty:
        return set()
    rows = frame.assign(
        import_id=import_id,
        source=source,
        raw=frame["raw"].map(lambda r: json.dumps(r, ensure_ascii=False, default=str)),
        link_id=frame["link_id"].astype("Int64"),
    )
    conn.execute(
        text("CREATE TEMP TABLE action_batch (LIKE actions INCLUDING DEFAULTS) ON COMMIT DROP")
    )
    copy_dataframe(conn, "action_batch", rows[_ACTION_COLUMNS])
    columns = ", ".join(_ACTION_COLUMNS)
    inserted = conn.execute(
        text(f"INSERT INTO actions ({columns}) SELECT {columns} FROM action_batch"
             " ON CONFLICT (source, source_key) DO NOTHING RETURNING source_key")
    ).scalars().all()  # fmt: skip
    return set(inserted)


def _insert_quarantine(conn: Connection, import_id: int, rows: list[dict]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows).assign(import_id=import_id)
    frame["raw"] = frame["raw"].map(lambda r: json.dumps(r, ensure_ascii=False, default=str))
    copy_dataframe(
        conn, "action_quarantine",
        frame[["import_id", "source_row", "field", "reason", "detail", "raw"]],
    )  # fmt: skip
