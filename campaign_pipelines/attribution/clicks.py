"""People and machines, judged again once the text's delivery time is known.

The link server labels each click as it answers it, often before the carrier's delivery report
has arrived; a preview fetcher posing as a browser two seconds after delivery then looks like a
person. Here every click is run through the same rules (``rules.bots.classify_click``) with the
delivery time from the status callbacks. A machine verdict of the server is never overturned:
it may rest on what only the server saw (its own repeat window).

Each server worker keeps its own repeat window, so a visitor's second tap that reaches another
worker (or another replica behind the load balancer) is labelled a person there.
``cross_worker_repeats`` finds those here, where every worker's clicks meet: a click is a repeat
when the same link, client (IP hash) and user agent had a person's click less than the window
before it, whichever worker took either, exactly the server's rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from campaign_pipelines.rules.bots import DEFAULT_TOO_SOON_SECONDS, classify_click

REPEAT = "repeat_within_window"
DEFAULT_REPEAT_WINDOW_SECONDS = 30.0  # the link server's LINK_REPEAT_WINDOW_SECONDS default
_CLIENT = ["link_id", "ip_hash", "user_agent"]


def judge_clicks(
    frame: pd.DataFrame, *, too_soon_seconds: float = DEFAULT_TOO_SOON_SECONDS
) -> pd.DataFrame:
    """``is_human`` and ``reason`` for each click.

    ``frame``: method, user_agent, server_is_human, server_reason, seconds_since_delivery, and
    optionally ``repeat`` (a repeat found across workers, see ``cross_worker_repeats``).
    Distinct (method, user agent, repeat, too soon) combinations are classified once each.
    """
    if frame.empty:
        return pd.DataFrame({"is_human": pd.Series(dtype=bool), "reason": pd.Series(dtype=object)})
    seconds = pd.to_numeric(frame["seconds_since_delivery"], errors="coerce")
    keys = pd.DataFrame(
        {
            "method": frame["method"].fillna("GET").str.upper(),
            "user_agent": frame["user_agent"].fillna(""),
            "repeat": (frame["server_reason"] == REPEAT)
            | (frame["repeat"].fillna(False).astype(bool) if "repeat" in frame else False),
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


def cross_worker_repeats(
    frame: pd.DataFrame,
    earlier: pd.DataFrame,
    *,
    window_seconds: float = DEFAULT_REPEAT_WINDOW_SECONDS,
) -> pd.Series:
    """Which of ``frame``'s clicks (the server took them for people) repeat a person's click of
    the same link, IP hash and user agent less than ``window_seconds`` before.

    ``frame``: link_id, ip_hash, user_agent, clicked_at, server_is_human. ``earlier``: people's
    clicks from before this batch (same columns but server_is_human), the anchors a batch's
    first clicks are measured from. As on the server, a repeat does not restart the window.
    """
    repeat = pd.Series(False, index=frame.index)
    if frame.empty or window_seconds <= 0:
        return repeat
    people = frame[frame["server_is_human"].astype(bool)]
    parts = [people[[*_CLIENT, "clicked_at"]].assign(_row=people.index)]
    if not earlier.empty:
        parts.insert(0, earlier[[*_CLIENT, "clicked_at"]].assign(_row=-1))
    both = pd.concat(parts, ignore_index=True)
    # No address or no user agent is a value of the key too, as it is on the server.
    both[["ip_hash", "user_agent"]] = both[["ip_hash", "user_agent"]].fillna("")
    both = both[both.duplicated(_CLIENT, keep=False)]  # a lone click repeats nothing
    if both.empty:
        return repeat
    both = both.sort_values([*_CLIENT, "clicked_at", "_row"], kind="stable")
    # One pass over plain lists (a backlog can hold millions of clicks): a new client resets
    # the anchor; within a client, a click less than the window after the anchor is a repeat.
    clients = both.groupby(_CLIENT, sort=False).ngroup().tolist()
    times = pd.DatetimeIndex(both["clicked_at"]).as_unit("ns").asi8.tolist()
    rows = both["_row"].tolist()
    window = int(window_seconds * 1e9)
    found = []
    client = anchor = None
    for this, at, row in zip(clients, times, rows, strict=True):
        if this == client and at - anchor < window:
            if row >= 0:
                found.append(row)
        else:
            client, anchor = this, at
    repeat.loc[found] = True
    return repeat
