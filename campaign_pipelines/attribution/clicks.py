"""People and machines, judged again once the text's delivery time is known.

The link server labels each click as it answers it, often before the carrier's delivery report
has arrived; a preview fetcher posing as a browser two seconds after delivery then looks like a
person. Here every click is run through the same rules (``rules.bots.classify_click``) with the
delivery time from the status callbacks. A machine verdict of the server is never overturned:
it may rest on what only the server saw (its own repeat window).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from campaign_pipelines.rules.bots import DEFAULT_TOO_SOON_SECONDS, classify_click

REPEAT = "repeat_within_window"


def judge_clicks(
    frame: pd.DataFrame, *, too_soon_seconds: float = DEFAULT_TOO_SOON_SECONDS
) -> pd.DataFrame:
    """``is_human`` and ``reason`` for each click.

    ``frame``: method, user_agent, server_is_human, server_reason, seconds_since_delivery.
    Distinct (method, user agent, repeat, too soon) combinations are classified once each.
    """
    if frame.empty:
        return pd.DataFrame({"is_human": pd.Series(dtype=bool), "reason": pd.Series(dtype=object)})
    seconds = pd.to_numeric(frame["seconds_since_delivery"], errors="coerce")
    keys = pd.DataFrame(
        {
            "method": frame["method"].fillna("GET").str.upper(),
            "user_agent": frame["user_agent"].fillna(""),
            "repeat": frame["server_reason"] == REPEAT,
            "too_soon": (seconds < too_soon_seconds).fillna(False),
        }
    )
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    verdicts = [
        classify_click(
            method, agent, seen_recently=bool(repeat),
            seconds_since_delivery=0.0 if soon else None, too_soon_seconds=too_soon_seconds,
        )
        for method, agent, repeat, soon in uniques
    ]  # fmt: skip
    ours_human = np.array([v.is_human for v in verdicts], dtype=bool)[codes]
    ours_reason = np.array([v.reason for v in verdicts], dtype=object)[codes]
    server_human = frame["server_is_human"].to_numpy(dtype=bool)
    reason = np.where(~ours_human, ours_reason, frame["server_reason"].to_numpy(dtype=object))
    return pd.DataFrame(
        {"is_human": ours_human & server_human, "reason": reason}, index=frame.index
    )
