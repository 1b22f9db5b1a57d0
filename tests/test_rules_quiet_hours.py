from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from campaign_pipelines.rules.quiet_hours import (
    DEFAULT_WINDOW,
    TextingWindow,
    next_allowed_send,
    voter_timezone,
    voter_timezones,
    window_for_state,
)

NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # An ordinary evening: 20:59 EDT is allowed, 21:00 waits for 08:00 EDT.
        (utc(2026, 6, 10, 0, 59), NEW_YORK, utc(2026, 6, 10, 0, 59)),
        (utc(2026, 6, 10, 1, 0), NEW_YORK, utc(2026, 6, 10, 12, 0)),
        # Before the window opens: 07:59 EDT waits one minute.
        (utc(2026, 6, 10, 11, 59), NEW_YORK, utc(2026, 6, 10, 12, 0)),
        (utc(2026, 6, 10, 12, 0), NEW_YORK, utc(2026, 6, 10, 12, 0)),
        # Saturday 2026-03-07, the night clocks spring forward: 21:00 EST waits for 08:00 EDT,
        # which is eleven hours later on the wall clock but only ten in fact.
        (utc(2026, 3, 8, 1, 59), NEW_YORK, utc(2026, 3, 8, 1, 59)),
        (utc(2026, 3, 8, 2, 0), NEW_YORK, utc(2026, 3, 8, 12, 0)),
        (utc(2026, 3, 8, 7, 30), NEW_YORK, utc(2026, 3, 8, 12, 0)),
        # Sunday 2026-03-08 evening, already on daylight time.
        (utc(2026, 3, 9, 0, 59), NEW_YORK, utc(2026, 3, 9, 0, 59)),
        (utc(2026, 3, 9, 1, 0), NEW_YORK, utc(2026, 3, 9, 12, 0)),
        # Saturday 2026-10-31, the night clocks fall back: 21:00 EDT waits for 08:00 EST.
        (utc(2026, 11, 1, 0, 59), NEW_YORK, utc(2026, 11, 1, 0, 59)),
        (utc(2026, 11, 1, 1, 0), NEW_YORK, utc(2026, 11, 1, 13, 0)),
        # Both 01:30s of the repeated hour wait for the same 08:00 EST.
        (utc(2026, 11, 1, 5, 30), NEW_YORK, utc(2026, 11, 1, 13, 0)),
        (utc(2026, 11, 1, 6, 30), NEW_YORK, utc(2026, 11, 1, 13, 0)),
        # Sunday 2026-11-01 evening, on standard time.
        (utc(2026, 11, 2, 1, 59), NEW_YORK, utc(2026, 11, 2, 1, 59)),
        (utc(2026, 11, 2, 2, 0), NEW_YORK, utc(2026, 11, 2, 13, 0)),
        # Phoenix keeps MST (UTC-7) all year, through both of New York's changes.
        (utc(2026, 3, 8, 3, 59), PHOENIX, utc(2026, 3, 8, 3, 59)),
        (utc(2026, 3, 8, 4, 0), PHOENIX, utc(2026, 3, 8, 15, 0)),
        (utc(2026, 7, 1, 3, 59), PHOENIX, utc(2026, 7, 1, 3, 59)),
        (utc(2026, 7, 1, 4, 0), PHOENIX, utc(2026, 7, 1, 15, 0)),
        (utc(2026, 11, 1, 4, 0), PHOENIX, utc(2026, 11, 1, 15, 0)),
        # The same instant, allowed in Phoenix (20:59 MST) and deferred in New York (23:59 EDT).
        (utc(2026, 7, 1, 3, 59), NEW_YORK, utc(2026, 7, 1, 12, 0)),
        (utc(2026, 12, 31, 14, 0), "Pacific/Honolulu", utc(2026, 12, 31, 18, 0)),
    ],
)
def test_next_allowed_send_default_window(now, tz, expected):
    assert next_allowed_send(now, tz) == expected


def test_next_allowed_send_returns_utc_for_other_aware_inputs():
    eastern_noon = datetime(2026, 6, 10, 12, 0, tzinfo=timezone(timedelta(hours=-4)))

    result = next_allowed_send(eastern_noon, "America/New_York")

    assert result == utc(2026, 6, 10, 16, 0)
    assert result.tzinfo is UTC


def test_next_allowed_send_opening_inside_spring_forward_gap_is_just_after_it():
    # 02:30 never happens on 2026-03-08 in New York; the first instant at or after it is 03:30 EDT.
    window = TextingWindow(start=time(2, 30), end=time(21))

    assert next_allowed_send(utc(2026, 3, 8, 6, 0), NEW_YORK, window=window) == utc(
        2026, 3, 8, 7, 30
    )


def test_next_allowed_send_opening_inside_fall_back_fold():
    window = TextingWindow(start=time(1, 30), end=time(21))

    # Before the first 01:30 (EDT) the window opens then.
    assert next_allowed_send(utc(2026, 11, 1, 4, 0), NEW_YORK, window=window) == utc(
        2026, 11, 1, 5, 30
    )
    # At 01:10 EST the clock reads before 01:30 again; the next opening is the second 01:30.
    assert next_allowed_send(utc(2026, 11, 1, 6, 10), NEW_YORK, window=window) == utc(
        2026, 11, 1, 6, 30
    )


def test_next_allowed_send_uses_a_narrower_state_window():
    eight_to_eight = TextingWindow(start=time(8), end=time(20))

    # 20:30 EDT: inside the federal hours, outside this state's.
    now = utc(2026, 6, 10, 0, 30)
    assert next_allowed_send(now, NEW_YORK) == now
    assert next_allowed_send(now, NEW_YORK, window=eight_to_eight) == utc(2026, 6, 10, 12, 0)


def test_next_allowed_send_rejects_naive_time():
    with pytest.raises(ValueError, match="naive 2026-06-10T12:00:00"):
        next_allowed_send(datetime(2026, 6, 10, 12, 0), NEW_YORK)


@pytest.mark.parametrize(("start", "end"), [(time(21), time(8)), (time(8), time(8))])
def test_texting_window_must_not_cross_midnight(start, end):
    with pytest.raises(ValueError, match="start before it ends"):
        TextingWindow(start=start, end=end)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("FL", TextingWindow(time(8), time(20))),
        (" fl ", TextingWindow(time(8), time(20))),
        ("NC", DEFAULT_WINDOW),
        (None, DEFAULT_WINDOW),
    ],
)
def test_window_for_state_applies_configured_overrides(state, expected):
    overrides = {"FL": TextingWindow(time(8), time(20))}
    assert window_for_state(state, overrides=overrides) == expected


def test_window_for_state_default_is_eight_to_nine():
    assert window_for_state("TX") == TextingWindow(start=time(8), end=time(21))


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (35.7796, -78.6382, "America/New_York"),  # Raleigh, NC
        (33.4484, -112.0740, "America/Phoenix"),  # Phoenix, AZ
        (36.1540, -109.5387, "America/Denver"),  # Chinle, Navajo Nation: keeps daylight time
        (41.8781, -87.6298, "America/Chicago"),
        (34.0522, -118.2437, "America/Los_Angeles"),
        (21.3069, -157.8583, "Pacific/Honolulu"),
        (35.2, -84.3, "America/New_York"),  # Tellico Plains, TN: east of the Central line
        (36.16, -86.78, "America/Chicago"),  # Nashville, TN
        (34.0, -70.0, None),  # open Atlantic: a fixed Etc/GMT zone would ignore daylight time
        (float("nan"), -78.6, None),
    ],
)
def test_voter_timezone_from_point(lat, lon, expected):
    assert voter_timezone(lat, lon) == expected


def test_voter_timezone_rejects_out_of_range_coordinate():
    with pytest.raises(ValueError):
        voter_timezone(95.0, -78.6)


def test_voter_timezones_batch_matches_single_lookups():
    lats = np.array([35.7796, 33.4484, np.nan, 95.0, 21.3069])
    lons = np.array([-78.6382, -112.0740, -78.6, -78.6, -157.8583])

    assert voter_timezones(lats, lons) == [
        "America/New_York",
        "America/Phoenix",
        None,
        None,
        "Pacific/Honolulu",
    ]
