"""Messages as Twilio's 2010-04-01 API renders them: one resource, and pages of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from campaign_pipelines.fake_twilio.errors import TwilioApiError
from campaign_pipelines.fake_twilio.store import Message, SentFilter

API_VERSION = "2010-04-01"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
FILTER_PARAMS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


def messages_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def message_path(account_sid: str, sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    return None if moment is None else format_datetime(moment.astimezone(UTC))


def message_resource(message: Message) -> dict[str, Any]:
    """Every property of the spec's ``api.v2010.account.message`` schema."""
    base = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": str(message.num_media),
        "num_segments": str(message.num_segments),
        "price": message.price,
        "price_unit": message.price_unit,
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": message.to,
        "uri": f"{base}.json",
    }


@dataclass(frozen=True)
class PageRequest:
    """The list endpoint's paging fields: ``PageSize``, ``Page`` and ``PageToken``.

    Tokens are ``PA<sid>`` (the page after that message) and ``PB<sid>`` (the page before it), so
    paging stays stable while new messages arrive at the head of the list.
    """

    page_size: int = DEFAULT_PAGE_SIZE
    page: int = 0
    token: str | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> PageRequest:
        page_size = _int_param(query, "PageSize", DEFAULT_PAGE_SIZE)
        page = _int_param(query, "Page", 0)
        if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
            raise TwilioApiError(400, 20001, "PageSize must be 1 to 1000 and Page at least 0")
        return cls(page_size, page, query.get("PageToken") or None)

    def window(self, messages: list[Message]) -> tuple[int, int]:
        start = self.page * self.page_size
        sids = [message.sid for message in messages]
        if self.token and self.token[2:] in sids:
            anchor = sids.index(self.token[2:])
            if self.token.startswith("PA"):
                start = anchor + 1
            elif self.token.startswith("PB"):
                start = max(0, anchor - self.page_size)
        return start, min(start + self.page_size, len(messages))


def message_page(
    account_sid: str, messages: list[Message], filters: dict[str, str], paging: PageRequest
) -> dict[str, Any]:
    """One page of a message list with the paging fields Twilio's clients follow."""
    start, stop = paging.window(messages)
    items = messages[start:stop]
    path = messages_path(account_sid)

    def page_uri(page: int, token: str | None = None) -> str:
        params = {**filters, "PageSize": paging.page_size, "Page": page}
        if token:
            params["PageToken"] = token
        return f"{path}?{urlencode(params)}"

    has_next = stop < len(messages)
    has_previous = paging.page > 0 and bool(items)
    first = paging.page * paging.page_size
    return {
        "end": first + max(len(items) - 1, 0),
        "first_page_uri": page_uri(0),
        "messages": [message_resource(message) for message in items],
        "next_page_uri": page_uri(paging.page + 1, f"PA{items[-1].sid}") if has_next else None,
        "page": paging.page,
        "page_size": paging.page_size,
        "previous_page_uri": (
            page_uri(paging.page - 1, f"PB{items[0].sid}") if has_previous else None
        ),
        "start": first,
        "uri": page_uri(paging.page, paging.token),
    }


def list_filters(query: dict[str, str]) -> dict[str, str]:
    """The filter parameters present in a list request, for repeating them in page URIs."""
    return {name: query[name] for name in FILTER_PARAMS if query.get(name)}


def sent_filter(filters: dict[str, str]) -> SentFilter:
    on = filters.get("DateSent")
    before = filters.get("DateSent<")
    after = filters.get("DateSent>")
    return SentFilter(
        on=_day_of(_parse_when("DateSent", on)) if on else None,
        before=_parse_when("DateSent<", before) if before else None,
        after=_parse_when("DateSent>", after) if after else None,
    )


def _parse_when(name: str, value: str) -> date | datetime:
    """``YYYY-MM-DD``, ISO 8601 (what the Python client sends) or RFC 2822."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return _as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return _as_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError) as e:
        raise TwilioApiError(400, 20001, f"Invalid value for {name}") from e


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise TwilioApiError(400, 20001, f"{name} must be an integer") from e
