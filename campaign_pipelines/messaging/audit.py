"""After-the-fact audits of a wave's sends: nobody texted outside their hours or after opting out.

These re-derive each sent text's local time from the time Twilio accepted it, independently of
the sender's own scheduling, so a bug there shows up here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Connection, text

from campaign_pipelines.rules.quiet_hours import TextingWindow

_SENT = text(
    "SELECT s.send_id, s.sent_at, wm.timezone, wm.home_state"
    " FROM sends s JOIN wave_messages wm ON wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id"
    " WHERE s.wave_id = :w AND s.state = 'sent' AND s.sent_at IS NOT NULL"
)
_SENT_AFTER_OPT_OUT = text(
    "SELECT s.send_id FROM sends s"
    " WHERE s.wave_id = :w AND s.state = 'sent' AND ("
    " EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone_e164 = s.to_phone AND o.opted_out"
    "         AND o.updated_at < s.submitted_at) OR"
    " EXISTS (SELECT 1 FROM suppressions x WHERE x.phone_e164 = s.to_phone"
    "         AND x.added_at < s.submitted_at))"
    " ORDER BY s.send_id"
)


def sent_outside_hours(
    conn: Connection,
    wave_id: str,
    hours_for: Callable[[str | None], TextingWindow],
    fallback_tz: str,
) -> tuple[int, int, list[int]]:
    """(texts checked, texts sent outside the voter's local hours, sample send ids)."""
    sent = pd.read_sql(_SENT, conn, params={"w": wave_id})
    if sent.empty:
        return 0, 0, []
    sent["timezone"] = sent["timezone"].fillna(fallback_tz)
    outside = []
    for (zone, state), group in sent.groupby(["timezone", "home_state"], dropna=False):
        state = None if pd.isna(state) else state
        local = pd.to_datetime(group["sent_at"], utc=True).dt.tz_convert(zone)
        window = hours_for(state)
        inside = local.map(lambda moment, w=window: w.contains(moment.time()))
        outside.extend(group.loc[~inside, "send_id"].tolist())
    return len(sent), len(outside), sorted(outside)[:5]


def sent_after_opt_out(conn: Connection, wave_id: str) -> tuple[int, list[int]]:
    """Texts submitted after their number had opted out or been suppressed."""
    ids = list(conn.execute(_SENT_AFTER_OPT_OUT, {"w": wave_id}).scalars())
    return len(ids), ids[:5]
