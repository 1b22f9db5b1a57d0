"""CSV copies of the attribution tables for staff who live in spreadsheets.

Written with PostgreSQL's ``COPY ... TO STDOUT`` straight to files under
``<state>/reports/``. The imported rows' raw source fields (names, e-mails) stay in the
warehouse: the ``actions`` export leaves them out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from psycopg import sql
from sqlalchemy import Engine, text

from campaign_pipelines import paths

# Table -> its export query. Constants only; nothing here comes from input.
EXPORTS = {
    "click_events": "SELECT * FROM click_events ORDER BY click_id",
    "delivery_statuses": "SELECT * FROM delivery_statuses ORDER BY message_sid",
    "actions": (
        "SELECT action_id, import_id, source, source_key, source_row, action_type, acted_at,"
        " amount, voter_id, link_id, refcode, match_rule, unmatched_reason FROM actions"
        " ORDER BY action_id"
    ),
    "action_quarantine": (
        "SELECT quarantine_id, import_id, source_row, field, reason, detail"
        " FROM action_quarantine ORDER BY quarantine_id"
    ),
    "action_touches": "SELECT * FROM action_touches ORDER BY action_id, model",
    "attribution_funnel": "SELECT * FROM attribution_funnel ORDER BY 1, 2, 3, 4",
    "attribution_actions": "SELECT * FROM attribution_actions ORDER BY 1, 2, 3, 4, 5, 6",
    "holdout_lift": "SELECT * FROM holdout_lift ORDER BY 1, 2, 3",
}


def reports_dir() -> Path:
    folder = paths.state_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_tables(engine: Engine, tables: list[str], folder: Path | None = None) -> dict[str, Path]:
    """Write each named table to ``<folder>/<table>.csv`` (with a header row)."""
    folder = folder or reports_dir()
    written = {}
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for table in tables:
                path = folder / f"{table}.csv"
                statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(
                    sql.SQL(EXPORTS[table])
                )
                with path.open("wb") as fh, cur.copy(statement) as copy:
                    for chunk in copy:
                        fh.write(chunk)
                written[table] = path
    finally:
        raw.close()
    return written


def lift_summary(engine: Engine, wave_id: str) -> pd.DataFrame:
    """The wave's lift by district, overall first, for printing (the demo, a terminal)."""
    query = text(
        "SELECT action_type, district_id, texted, holdout, texted_rate, holdout_rate, abs_lift,"
        " abs_lift_low, abs_lift_high, rel_lift, incremental_actions FROM holdout_lift"
        " WHERE wave_id = :wave ORDER BY action_type, district_id <> '(all)',"
        " length(district_id), district_id"
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn, params={"wave": wave_id})
