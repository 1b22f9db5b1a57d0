"""The forecast shown before a wave is sent, and the pacer that holds the wave to its rate."""

from datetime import time

import pytest

from campaign_pipelines.messaging.forecast import duration, forecast
from campaign_pipelines.messaging.pacing import Pacer, backoff_seconds

HOURS = (time(8), time(21))


@pytest.mark.parametrize(
    ("messages", "daily_cap", "days"),
    [(1_000, None, 1), (1_000, 400, 3), (600_000, None, 3)],  # 33 h of sending, 13 h a day
)
def test_forecast_days_under_cap_and_texting_hours(messages, daily_cap, days):
    outlook = forecast(
        [2] * messages, 10, segments_per_second=10, daily_cap=daily_cap,
        cost_per_segment_usd=0.0083, hours=HOURS,
    )  # fmt: skip
    assert (outlook.segments, outlook.days) == (2 * messages, days)
    assert outlook.cost_usd == pytest.approx(2 * messages * 0.0083)
    assert outlook.send_seconds == pytest.approx(messages / 5)


def test_forecast_describes_itself_for_staff():
    outlook = forecast([1, 2, 3], 1, segments_per_second=2, daily_cap=None,
                       cost_per_segment_usd=0.01, hours=HOURS)  # fmt: skip
    assert outlook.describe() == (
        "3 messages, 6 segments (1 messages in UCS-2), about $0.06; 3 s of sending at 2 "
        "segments/s; 1 day(s) with the texting hours and no daily cap"
    )
    assert (duration(7_530), duration(200)) == ("2 h 05 min", "3 min 20 s")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacing_counts_segments_and_never_exceeds_the_rate():
    clock = FakeClock()
    pacer = Pacer(10, burst_seconds=0.0, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        pacer.acquire(2)  # 100 segments at 10 segments/s
    assert clock.now == pytest.approx(9.8)


def test_pacing_makes_up_a_short_pause_but_no_more():
    clock = FakeClock()
    pacer = Pacer(10, burst_seconds=1.0, clock=clock, sleep=clock.sleep)
    pacer.acquire()
    clock.now = 5.0  # a five-second pause (a slow commit)
    for _ in range(20):
        pacer.acquire()
    # One second of the pause (ten slots) is made up at once; the other ten take a second.
    assert clock.now == pytest.approx(5.9)


def test_pacing_starts_without_a_backlog():
    clock = FakeClock()
    pacer = Pacer(10, burst_seconds=1.0, clock=clock, sleep=clock.sleep)
    clock.now = 5.0  # planning took five seconds before the first text
    for _ in range(11):
        pacer.acquire()
    assert clock.now == pytest.approx(6.0)


def test_pacing_backoff_grows_and_respects_retry_after():
    assert 0.125 <= backoff_seconds(0) <= 0.25
    assert 10.0 <= backoff_seconds(10) <= 20.0
    assert backoff_seconds(0, retry_after=3.0) == 3.0
