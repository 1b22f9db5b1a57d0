"""A Twilio webhook kept in the spool while PostgreSQL is unreachable.

Twilio does not resend a status callback or an inbound message that we answer with an error, so
a webhook that arrives during an outage is kept, verified and checked, as the form Twilio sent
with the time it came (``Spool`` under ``<LINK_SPOOL_DIR>/webhooks``), and Twilio is answered as
usual. ``webhook_replay`` records it when PostgreSQL is back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

STATUS_PATH = "/twilio/status"
INBOUND_PATH = "/twilio/inbound"


class SpooledWebhook(NamedTuple):
    path: str  # STATUS_PATH or INBOUND_PATH
    fields: list[tuple[str, str]]  # the form as posted, repeated names included
    received_at: str  # ISO 8601, with its offset

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "fields": self.fields, "received_at": self.received_at}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpooledWebhook:
        if data["path"] not in (STATUS_PATH, INBOUND_PATH):
            raise ValueError(f"not a webhook path: {data['path']!r}")
        datetime.fromisoformat(data["received_at"])  # refuse a line that is not ours
        return cls(data["path"], [(str(k), str(v)) for k, v in data["fields"]], data["received_at"])

    @property
    def form(self) -> dict[str, str]:
        """The fields as the handlers read them: the first value of each name."""
        form: dict[str, str] = {}
        for name, value in self.fields:
            form.setdefault(name, value)
        return form
