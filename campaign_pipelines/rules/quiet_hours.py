"""When a voter may be texted: their local time zone, and the next moment inside the window.

The federal telemarketing rule (47 CFR 64.1200(c)(1)) allows 8 a.m. to 9 p.m. at the recipient's
location. A campaign's texts are not telemarketing, but campaigns and texting vendors keep the
same hours, since a text at 11 p.m. draws opt-outs and carrier complaints. The window is local
wall-clock time, so it has to hold on the nights clocks change and in zones that never change
them (Arizona outside the Navajo Nation, Hawaii). Some states set narrower hours for some
senders; which apply to a campaign is a legal call, so per-state windows come from the
campaign's configuration, not from here.

The zone comes from the voter's geocoded point through ``timezonefinder``, which ships its own
boundary data and needs no network. A point that falls at sea (a geocode a little off the
coast) gets no zone rather than a fixed-offset ``Etc/GMT`` one that ignores daylight time: the
caller should fall back to the zone of the voter's address or state.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from timezonefinder import TimezoneFinder


@dataclass(frozen=True, slots=True)
class TextingWindow:
    """Local wall-clock hours in which texts may be sent: from ``start`` up to, not including,
    ``end``. The window may not cross midnight: no rule we know of allows overnight texting.
    """

    start: time = time(8)
    end: time = time(21)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(
                f"texting window must start before it ends on the same day, "
                f"got start={self.start.isoformat()} end={self.end.isoformat()}"
            )

    def contains(self, local: time) -> bool:
        return self.start <= local < self.end


DEFAULT_WINDOW = TextingWindow()


def window_for_state(
    state: str | None, *, overrides: Mapping[str, TextingWindow] | None = None
) -> TextingWindow:
    """The window for a voter in ``state`` (two-letter postal code, any case).

    ``overrides`` holds the states whose rules the campaign's counsel says are narrower than the
    federal 08:00-21:00; every other state, and a voter with no state, gets the default.
    """
    if state is None or not overrides:
        return DEFAULT_WINDOW
    return overrides.get(state.strip().upper(), DEFAULT_WINDOW)


@cache
def _finder() -> TimezoneFinder:
    # Loading the boundary index takes a few hundred milliseconds; do it once per process.
    return TimezoneFinder()


@lru_cache(maxsize=65_536)
def voter_timezone(lat: float, lon: float) -> str | None:
    """IANA zone name at a point, or None for a missing (NaN) coordinate or a point at sea.

    Cached because voters in one household share a geocoded point.

    :raises ValueError: for a coordinate outside [-90, 90] x [-180, 180].
    """
    if math.isnan(lat) or math.isnan(lon):
        return None
    return _finder().timezone_at_land(lng=lon, lat=lat)


def voter_timezones(lats: Sequence[float], lons: Sequence[float]) -> list[str | None]:
    """Zone names for many points at once (any 1-D array-likes of equal length).

    One batch call into ``timezonefinder``, about a microsecond a point; missing or out-of-range
    coordinates and points at sea get None instead of failing the whole batch.
    """
    return _finder().timezone_names_at_land(lngs=lons, lats=lats, on_invalid="skip")


def _opening_on(
    day: date, window: TextingWindow, zone: ZoneInfo, *, not_before: datetime
) -> datetime:
    """The first instant, not before ``not_before``, when the clock in ``zone`` reads
    ``window.start`` (or later, if it skips that reading) on ``day``.

    A wall time can name no instant (the spring-forward gap: 02:30 becomes 03:30 daylight time)
    or two (the fall-back fold). Both ``fold`` readings are tried and those whose clock would
    read earlier than the opening, which is what a gap time maps to with ``fold=1``, dropped.
    """
    candidates = []
    for fold in (0, 1):
        instant = (
            datetime.combine(day, window.start, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        )
        if instant.astimezone(zone).time() >= window.start and instant >= not_before:
            candidates.append(instant)
    return min(candidates)


def next_allowed_send(
    now_utc: datetime, tz: str | ZoneInfo, *, window: TextingWindow = DEFAULT_WINDOW
) -> datetime:
    """The earliest moment at or after ``now_utc`` when a text may reach a voter in ``tz``.

    Returns ``now_utc`` itself (in UTC) when the voter's local time is inside the window,
    otherwise the window's next opening in local time, converted to UTC.

    :raises ValueError: if ``now_utc`` is naive: a naive time cannot be placed on any clock.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError(f"now_utc must be timezone-aware, got naive {now_utc.isoformat()}")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)

    now = now_utc.astimezone(UTC)
    local = now.astimezone(zone)
    if window.contains(local.time()):
        return now

    if local.time() < window.start:
        return _opening_on(local.date(), window, zone, not_before=now)
    return _opening_on(local.date() + timedelta(days=1), window, zone, not_before=now)
