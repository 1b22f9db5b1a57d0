"""Has this client opened this link moments ago? The evidence for ``repeat_within_window``.

A client is the keyed hash of its address and its user agent; only clicks labelled as a person
start a window, so a link preview fetched from the same phone (another user agent anyway) or a
HEAD request never turns the person's own tap into a repeat. Each worker process remembers its
own clients: behind several workers a repeat that lands on another worker counts as a person.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_CLIENTS = 200_000


class RepeatWindow:
    """Remembers (link, client) pairs for ``seconds``, oldest forgotten first."""

    def __init__(self, seconds: float, *, max_clients: int = MAX_CLIENTS) -> None:
        self._seconds = seconds
        self._max = max_clients
        self._seen: OrderedDict[tuple[int, str | None, str | None], float] = OrderedDict()

    def seen_recently(
        self, link_id: int, ip_hash: str | None, user_agent: str | None, now: float
    ) -> bool:
        last = self._seen.get((link_id, ip_hash, user_agent))
        return last is not None and now - last < self._seconds

    def remember(
        self, link_id: int, ip_hash: str | None, user_agent: str | None, now: float
    ) -> None:
        if self._seconds <= 0:
            return
        key = (link_id, ip_hash, user_agent)
        self._seen[key] = now
        self._seen.move_to_end(key)
        self._forget_older_than(now - self._seconds)

    def _forget_older_than(self, cutoff: float) -> None:
        seen = self._seen
        while seen:
            oldest = next(iter(seen.values()))
            if oldest >= cutoff and len(seen) <= self._max:
                return
            seen.popitem(last=False)
