"""A thread-safe token bucket: the fake's messages-per-second limit (Twilio answers 429/20429)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average and bursts of up to ``burst``.

    A ``rate`` of ``None`` means no limit. ``burst`` defaults to one second's worth (at least 1).
    """

    def __init__(
        self,
        rate: float | None,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate limit must be positive messages per second, got {rate}")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, math.ceil(rate or 1))
        self._clock = clock
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take one token if there is one; never blocks."""
        if self.rate is None:
            return True
        with self._lock:
            now = self._clock()
            elapsed = now - self._updated
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
