"""The suppression list: one row per number that must not be texted, rebuilt from its sources.

Sources are the warehouse's own records (STOP replies the link server stored in ``opt_outs``,
Twilio refusals on ``sends``, carrier landline reports in ``message_statuses``) and the imported
files. The list is rebuilt whole each time, so a voter who texts START again comes off it; a
number keeps the date it first went on.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.messaging.queries import query

IMPORTS_TABLE = "suppression_imports"


def rebuild(conn: Connection, imported: pd.DataFrame) -> pd.DataFrame:
    """Replace ``suppressions`` inside the caller's transaction; returns counts by reason and
    source. ``imported`` has columns phone_e164, reason, source."""
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE {IMPORTS_TABLE}"
            " (phone_e164 text NOT NULL, reason text NOT NULL, source text NOT NULL)"
            " ON COMMIT DROP"
        )
    )
    copy_dataframe(conn, IMPORTS_TABLE, imported[["phone_e164", "reason", "source"]])
    conn.execute(query("suppression_next"))
    conn.execute(
        text(
            "DELETE FROM suppressions x WHERE NOT EXISTS"
            " (SELECT 1 FROM suppression_next n WHERE n.phone_e164 = x.phone_e164)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO suppressions (phone_e164, reason, source)"
            " SELECT phone_e164, reason, source FROM suppression_next"
            " ON CONFLICT (phone_e164) DO UPDATE"
            " SET reason = EXCLUDED.reason, source = EXCLUDED.source"
            " WHERE (suppressions.reason, suppressions.source)"
            " IS DISTINCT FROM (EXCLUDED.reason, EXCLUDED.source)"
        )
    )
    counts = conn.execute(
        text("SELECT reason, source, count(*) FROM suppressions GROUP BY 1, 2 ORDER BY 1, 2")
    ).all()
    return pd.DataFrame(counts, columns=["reason", "source", "numbers"])
