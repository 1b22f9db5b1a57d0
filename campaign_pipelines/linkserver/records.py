"""One click as the server writes it: a ``clicks`` row.

A named tuple rather than a dataclass: one is built per request, and a tuple is built fastest.
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any, NamedTuple

from campaign_pipelines.db.schema import clicks

# Every column but the serial key, in table order; the server mints click_uuid itself so that a
# click written twice (a commit whose answer was lost, then the spool) is stored once.
CLICK_COLUMNS = tuple(column.name for column in clicks.columns if column.name != "click_id")

_random_bits = random.getrandbits
_VERSION_7 = 0x7 << 76
_VARIANT = 0x2 << 62
_LOW_62 = (1 << 62) - 1


def new_click_uuid() -> str:
    """A UUIDv7 (RFC 9562) as 32 hex digits: milliseconds since the epoch, then 74 random bits.

    Time-ordered, so the unique index on ``click_uuid`` grows at its right edge instead of
    splitting pages all over, which keeps the write cost of a click flat as the table grows.
    The random bits only need to be unique, not secret: they come from ``random`` (seeded from
    the OS, and reseeded in every forked worker), because a system call per click for
    ``os.urandom`` cost a fifth of the app's time per redirect.
    """
    bits = _random_bits(74)
    millis = time.time_ns() // 1_000_000
    value = millis << 80 | _VERSION_7 | (bits >> 62) << 64 | _VARIANT | (bits & _LOW_62)
    return f"{value:032x}"


class ClickRecord(NamedTuple):
    """The columns of one ``clicks`` row, in table order (checked below)."""

    click_uuid: str
    link_id: int
    clicked_at: datetime
    method: str
    user_agent: str | None
    referer: str | None
    ip_hash: str | None
    is_human: bool
    reason: str
    destination_url: str | None
    zip_code: str | None

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["clicked_at"] = self.clicked_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClickRecord:
        values = {name: data.get(name) for name in cls._fields}
        values["click_uuid"] = str(data["click_uuid"])
        values["link_id"] = int(data["link_id"])
        values["clicked_at"] = datetime.fromisoformat(data["clicked_at"])
        return cls(**values)


if ClickRecord._fields != CLICK_COLUMNS:
    raise RuntimeError(f"ClickRecord fields {ClickRecord._fields} do not match {CLICK_COLUMNS}")
