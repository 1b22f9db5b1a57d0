"""What a wave will cost and how long it will take, worked out before anything is sent.

Carriers bill and Twilio paces by segment, so cost is segments times the per-segment price and
sending time is segments over the wave's segments-per-second. Two limits stretch a wave over
several days: the daily cap (messages per day for the sender) and the texting hours (a wave
can only send while voters' local clocks are inside the window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class Forecast:
    messages: int
    segments: int
    ucs2_messages: int
    cost_usd: float
    send_seconds: float
    days: int
    segments_per_second: float
    daily_cap: int | None

    def describe(self) -> str:
        cap = f"daily cap {self.daily_cap:,}" if self.daily_cap else "no daily cap"
        return (
            f"{self.messages:,} messages, {self.segments:,} segments "
            f"({self.ucs2_messages:,} messages in UCS-2), about ${self.cost_usd:,.2f}; "
            f"{duration(self.send_seconds)} of sending at {self.segments_per_second:g} "
            f"segments/s; {self.days} day(s) with the texting hours and {cap}"
        )

    def as_metadata(self) -> dict[str, float | int | None]:
        return {
            "messages": self.messages,
            "segments": self.segments,
            "ucs2_messages": self.ucs2_messages,
            "cost_usd": round(self.cost_usd, 2),
            "send_seconds": round(self.send_seconds, 1),
            "days": self.days,
            "segments_per_second": self.segments_per_second,
            "daily_cap": self.daily_cap,
        }


def forecast(
    segments: list[int],
    ucs2_messages: int,
    *,
    segments_per_second: float,
    daily_cap: int | None,
    cost_per_segment_usd: float,
    hours: tuple[time, time],
) -> Forecast:
    """Forecast a wave whose messages have the given segment counts."""
    messages = len(segments)
    total = int(sum(segments))
    send_seconds = total / segments_per_second
    start, end = hours
    open_seconds = (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)
    days = 0
    if messages:
        by_hours = math.ceil(send_seconds / open_seconds)
        by_cap = math.ceil(messages / daily_cap) if daily_cap else 1
        days = max(by_hours, by_cap, 1)
    return Forecast(
        messages=messages,
        segments=total,
        ucs2_messages=ucs2_messages,
        cost_usd=total * cost_per_segment_usd,
        send_seconds=send_seconds,
        days=days,
        segments_per_second=segments_per_second,
        daily_cap=daily_cap,
    )


def duration(seconds: float) -> str:
    """``2 h 05 min``, ``3 min 20 s`` or ``12 s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
