"""The fake's memory: every message it created or received, and what it refused, behind a lock."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Message:
    """One message as Twilio keeps it; the store hands out immutable snapshots."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    direction: str
    num_segments: int
    date_created: datetime
    date_updated: datetime
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    num_media: int = 0
    date_sent: datetime | None = None
    price: str | None = None
    price_unit: str = "USD"
    error_code: int | None = None
    error_message: str | None = None
    sequence: int = 0


@dataclass(frozen=True)
class SentFilter:
    """The list endpoint's ``DateSent``, ``DateSent<`` and ``DateSent>``: a day or an instant."""

    on: date | None = None
    before: date | datetime | None = None
    after: date | datetime | None = None

    def matches(self, sent: datetime | None) -> bool:
        if self.on is None and self.before is None and self.after is None:
            return True
        if sent is None:
            return False
        if self.on is not None and sent.date() != self.on:
            return False
        if self.before is not None and not _on_or_before(sent, self.before):
            return False
        return self.after is None or _on_or_before(self.after, sent)


class MessageStore:
    """Thread-safe: the API's event loop, callback tasks and test threads all read and write it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, Message] = {}
        self._sequence = itertools.count(1)
        self._outbound_by_to: Counter[str] = Counter()
        self._rejected: Counter[int] = Counter()

    def add(self, message: Message) -> Message:
        with self._lock:
            stored = replace(message, sequence=next(self._sequence))
            self._messages[stored.sid] = stored
            if stored.direction == "outbound-api":
                self._outbound_by_to[stored.to] += 1
            return stored

    def get(self, sid: str) -> Message | None:
        with self._lock:
            return self._messages.get(sid)

    def update(self, sid: str, **changes: Any) -> Message | None:
        """Apply ``changes`` and stamp ``date_updated``; ``None`` if the message is gone (reset)."""
        with self._lock:
            current = self._messages.get(sid)
            if current is None:
                return None
            updated = replace(current, date_updated=utc_now(), **changes)
            self._messages[sid] = updated
            return updated

    def select(
        self,
        account_sid: str,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent: SentFilter | None = None,
    ) -> list[Message]:
        """Matching messages, newest first (Twilio's list order)."""
        sent = sent or SentFilter()
        with self._lock:
            messages = list(self._messages.values())
        return [
            message
            for message in reversed(messages)
            if message.account_sid == account_sid
            and (to is None or message.to == to)
            and (from_ is None or message.from_ == from_)
            and sent.matches(message.date_sent)
        ]

    def all(self) -> list[Message]:
        """Every message in arrival order."""
        with self._lock:
            return list(self._messages.values())

    def record_rejection(self, code: int) -> None:
        with self._lock:
            self._rejected[code] += 1

    def counts(self) -> dict[str, Any]:
        """Totals for inspection: messages, statuses, outbound sends per recipient, refusals."""
        with self._lock:
            messages = list(self._messages.values())
            by_to = dict(self._outbound_by_to)
            rejected = {str(code): count for code, count in sorted(self._rejected.items())}
        return {
            "messages": len(messages),
            "outbound": sum(by_to.values()),
            "by_status": dict(Counter(message.status for message in messages)),
            "by_to": by_to,
            "rejected": rejected,
        }

    def clear(self) -> int:
        """Forget everything; returns how many messages were dropped."""
        with self._lock:
            dropped = len(self._messages)
            self._messages.clear()
            self._outbound_by_to.clear()
            self._rejected.clear()
            return dropped


def _on_or_before(earlier: datetime | date, later: datetime | date) -> bool:
    if isinstance(earlier, datetime) and isinstance(later, datetime):
        return earlier <= later
    return _day(earlier) <= _day(later)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
