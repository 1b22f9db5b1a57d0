"""When a group of voters (one time zone, one state's hours) may be texted, seen from now.

``rules.quiet_hours`` finds the next moment a voter's clock is inside the window; this module adds
the wave's own send window and the moment the opening ends, so a sender knows both when it may
start and when it must stop for that group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from campaign_pipelines.rules.quiet_hours import TextingWindow, next_allowed_send


@dataclass(frozen=True, slots=True)
class Opening:
    """Texts may go from ``send_from`` up to, not including, ``send_until`` (both UTC)."""

    send_from: datetime
    send_until: datetime


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def next_opening(
    now: datetime,
    timezone: str,
    hours: TextingWindow,
    *,
    opens_at: datetime,
    closes_at: datetime,
) -> Opening | None:
    """The current or next opening for voters in ``timezone``, or None if the wave closes first."""
    zone = _zone(timezone)
    send_from = next_allowed_send(max(now, opens_at), zone, window=hours)
    if send_from >= closes_at:
        return None
    return Opening(send_from, min(_closing_after(send_from, zone, hours), closes_at))


def _closing_after(moment: datetime, zone: ZoneInfo, hours: TextingWindow) -> datetime:
    """The instant the local clock first reads ``hours.end`` after ``moment`` (inside the window).

    The first reading is taken on a night clocks fall back, which closes the window early rather
    than late; a closing time that falls in a spring-forward gap maps past the gap.
    """
    local_day = moment.astimezone(zone).date()
    closing = datetime.combine(local_day, hours.end, tzinfo=zone).astimezone(UTC)
    if closing <= moment:
        closing = datetime.combine(local_day + timedelta(days=1), hours.end, tzinfo=zone)
        closing = closing.astimezone(UTC)
    return closing
