"""Sending at the rate the carriers allow, and waiting politely when the provider says slow down.

Carriers (and Twilio's queue in front of them) count segments, so a two-segment message costs two
slots. ``Pacer`` hands out slots on a fixed schedule shared by every sending thread; a short pause
(a database commit between batches) may be made up by at most ``burst_seconds`` of slots, so the
rate over any longer stretch never exceeds the configured one.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class Pacer:
    """Blocks each caller until its segments fit under ``rate`` segments per second."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be a positive number of segments per second, got {rate}")
        self.rate = rate
        self._burst = burst_seconds
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None  # no backlog to make up before the first send
        self._lock = threading.Lock()

    def acquire(self, segments: int = 1) -> None:
        if self.rate is None:
            return
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(self._next, now - self._burst)
            self._next = start + segments / self.rate
        if start > now:
            self._sleep(start - now)


def backoff_seconds(
    attempt: int,
    *,
    base: float = 0.25,
    cap: float = 20.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Full-jitter exponential backoff for retry ``attempt`` (0-based), never under a server's
    ``Retry-After``: the jitter keeps many senders from retrying in step."""
    ceiling = min(cap, base * 2**attempt)
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)
