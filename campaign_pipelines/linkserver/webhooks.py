"""Twilio's webhooks: delivery status callbacks and inbound replies (STOP, START, HELP…).

Both are form posts signed with ``X-Twilio-Signature``. The signature covers the URL Twilio
called, so it is checked against ``PUBLIC_BASE_URL`` plus the path, never against the URL this
process saw: behind a TLS-terminating proxy those differ in scheme, host and port. A request
that fails the check gets 403 and writes nothing.

Statuses only move forward (``STATUS_RANK``): Twilio may post ``sent`` after ``delivered`` or
post a status twice, and the stored status stays the furthest one. Every callback is also kept
as it came in ``status_callbacks``. Every inbound message is kept in ``inbound_messages``; an
opt-out or opt-in keyword (``rules.optout``) updates ``opt_outs`` in the same transaction, once
per message SID, so Twilio retrying a webhook cannot replay an old STOP over a newer START.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import psycopg
from psycopg_pool import AsyncConnectionPool
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from campaign_pipelines.linkserver.batcher import BatcherClosed, GroupBatcher
from campaign_pipelines.linkserver.database import UNREACHABLE, run_pooled
from campaign_pipelines.linkserver.spool import Spool
from campaign_pipelines.linkserver.statuses import StatusUpdate
from campaign_pipelines.linkserver.webhook_spool import INBOUND_PATH, STATUS_PATH, SpooledWebhook
from campaign_pipelines.rules.optout import classify_reply
from campaign_pipelines.voterfile.phones import E164_PATTERN

log = logging.getLogger(__name__)

# Twilio's message statuses in the order a message moves through them; the final outcomes
# share a rank, so whichever arrives first stands. WhatsApp and RCS report "read" after that.
STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "partially_delivered": 4,
    "read": 5,
}
MAX_FIELDS = 100
# Longest accepted value of the fields stored as keys or short columns. Twilio's SIDs are 34
# characters; a value far beyond these is not Twilio's, and a huge one (PostgreSQL refuses index
# entries over about 2.7 kB) would fail the whole batch of callbacks committed with it.
STATUS_FIELD_CHARS = {"MessageSid": 64, "MessageStatus": 32, "ErrorCode": 16, "To": 64}
INBOUND_FIELD_CHARS = {"MessageSid": 64, "From": 64, "To": 64}
E164 = re.compile(E164_PATTERN)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
REPLY_SOURCE = "sms_reply"

RECORD_INBOUND = """
    INSERT INTO inbound_messages (message_sid, from_phone, to_phone, body, kind, received_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (message_sid) DO NOTHING
"""
# The newest reply decides: a STOP replayed from the spool after an outage does not undo a START
# the voter sent (and we recorded) later.
RECORD_CONSENT = """
    INSERT INTO opt_outs (phone_e164, opted_out, source, reason, updated_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (phone_e164) DO UPDATE SET
        opted_out = EXCLUDED.opted_out, source = EXCLUDED.source,
        reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at
    WHERE opt_outs.updated_at <= EXCLUDED.updated_at
"""


class TwilioWebhooks:
    """Endpoints for ``/twilio/status`` and ``/twilio/inbound``."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        statuses: GroupBatcher[StatusUpdate, None],
        spool: Spool,
        *,
        auth_token: str,
        public_base: str,
    ) -> None:
        self._pool = pool
        self._statuses = statuses
        self._spool = spool
        self._validator = RequestValidator(auth_token)
        self._public_base = public_base

    def __repr__(self) -> str:
        return f"TwilioWebhooks(public_base={self._public_base!r})"

    async def status(self, request: Request) -> Response:
        params = await self._verified_form(request)
        if params is None:
            return PlainTextResponse("Forbidden", status_code=403)
        if _holds_nul(params):
            return _NUL_REFUSED
        if refused := _overlong(params, STATUS_FIELD_CHARS):
            return refused
        sid, status = params.get("MessageSid"), (params.get("MessageStatus") or "").lower()
        if not sid or not status:
            return PlainTextResponse("MessageSid and MessageStatus are required", status_code=400)

        received_at = datetime.now(UTC)
        update = status_update(params, received_at=received_at)
        try:
            # Committed with the callbacks that arrived alongside it, before the answer.
            await self._statuses.submit(update)
        except (*UNREACHABLE, BatcherClosed):
            if not await self._spooled(STATUS_PATH, params, received_at):
                return _retry_later()
        except psycopg.Error as e:
            return _failed("status callback", e)
        if update.rank is None:
            log.warning("status callback with an unknown status %r kept raw only", status[:32])
        return Response(status_code=204)

    async def inbound(self, request: Request) -> Response:
        params = await self._verified_form(request)
        if params is None:
            return PlainTextResponse("Forbidden", status_code=403)
        if _holds_nul(params):
            return _NUL_REFUSED
        if refused := _overlong(params, INBOUND_FIELD_CHARS):
            return refused
        sid, sender = params.get("MessageSid"), params.get("From")
        if not sid or not sender:
            return PlainTextResponse("MessageSid and From are required", status_code=400)

        received_at = datetime.now(UTC)
        try:
            await record_inbound(self._pool, params, received_at=received_at)
        except UNREACHABLE:
            if not await self._spooled(INBOUND_PATH, params, received_at):
                return _retry_later()
        except psycopg.Error as e:
            return _failed("inbound message", e)
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def _spooled(self, path: str, params: ImmutableMultiDict, received_at: datetime) -> bool:
        """Keep a webhook PostgreSQL could not take in the spool (fsync'd), to be recorded when
        it returns: Twilio does not resend one we refuse. False if the spool failed too."""
        webhook = SpooledWebhook(path, list(params.multi_items()), received_at.isoformat())
        try:
            await self._spool.append([webhook])
        except OSError as e:
            log.error("webhook to %s neither recorded nor spooled: %s", path, e.strerror)
            return False
        return True

    async def _verified_form(self, request: Request) -> ImmutableMultiDict | None:
        """The form fields if the signature is Twilio's for our public URL, else None."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return None
        raw = await request.body()
        try:
            params = ImmutableMultiDict(
                parse_qsl(raw.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
            )
        except ValueError:
            log.warning(
                "webhook to %s refused: not a form of at most %d fields",
                request.url.path,
                MAX_FIELDS,
            )
            return None
        url = self._public_base + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        if not self._validator.validate(url, params, signature, algorithm):
            # The URL checked is the usual culprit behind a proxy: it must be the one Twilio called.
            log.warning(
                "webhook refused: signature does not match %s (PUBLIC_BASE_URL plus the path)",
                self._public_base + request.url.path,
            )
            return None
        return params


def status_update(params: Mapping[str, str], *, received_at: datetime) -> StatusUpdate:
    """The update a status callback's (verified, checked) fields stand for."""
    status = (params.get("MessageStatus") or "").lower()
    return StatusUpdate(
        params["MessageSid"],
        status,
        STATUS_RANK.get(status),
        params.get("ErrorCode") or None,
        params.get("To") or None,
        received_at,
    )


async def record_inbound(
    pool: AsyncConnectionPool, params: Mapping[str, str], *, received_at: datetime
) -> None:
    """Keep an inbound message, and apply an opt-out or opt-in keyword once per message SID
    (a webhook resent or replayed from the spool changes nothing)."""
    sid, sender = params["MessageSid"], params["From"]
    body = params.get("Body") or ""
    kind = classify_reply(body)
    phone = texted_number(sender)

    async def record(conn: psycopg.AsyncConnection) -> bool:
        async with conn.transaction():
            cursor = await conn.execute(
                RECORD_INBOUND, (sid, sender, params.get("To") or None, body, kind, received_at)
            )
            if cursor.rowcount != 1:
                return False
            if kind in ("opt_out", "opt_in") and phone is not None:
                await conn.execute(
                    RECORD_CONSENT, (phone, kind == "opt_out", REPLY_SOURCE, kind, received_at)
                )
            return True

    first_time = await run_pooled(pool, record)
    if first_time and kind in ("opt_out", "opt_in") and phone is None:
        # A short code, an alphanumeric sender: not a number we text, so not a suppression
        # entry (one would fail the suppression list's E.164 check and stop every wave).
        log.warning("inbound %s from a sender that is not a phone number; kept raw only", kind)
    if first_time and kind != "other":
        log.info("inbound reply recorded as %s", kind)


def texted_number(sender: str) -> str | None:
    """The E.164 number behind an inbound sender (``whatsapp:+1…`` included), or None for a
    short code, an alphanumeric sender or anything else that is not a phone number."""
    number = sender.strip()
    if ":" in number:
        number = number.split(":", 1)[1].strip()
    return number if E164.fullmatch(number) else None


# PostgreSQL text cannot hold NUL: such a field would fail the whole batch of status callbacks
# it was committed with, so it is refused on its own, before it joins one.
_NUL_REFUSED = PlainTextResponse("fields may not contain NUL characters", status_code=400)


def _holds_nul(params: ImmutableMultiDict) -> bool:
    return any("\x00" in name or "\x00" in value for name, value in params.multi_items())


def _overlong(params: ImmutableMultiDict, limits: dict[str, int]) -> Response | None:
    """A 400 naming the first field longer than its limit (refused alone, like NUL), or None."""
    for name, limit in limits.items():
        if len(params.get(name) or "") > limit:
            log.warning("webhook refused: %s longer than %d characters", name, limit)
            return PlainTextResponse(f"{name} is longer than {limit} characters", status_code=400)
    return None


def _failed(what: str, error: psycopg.Error) -> Response:
    # The SQLSTATE only: PostgreSQL's message can quote the row, and rows here hold phone numbers.
    log.error("%s not recorded: PostgreSQL error (SQLSTATE %s)", what, error.sqlstate)
    return PlainTextResponse("not recorded", status_code=500)


def _retry_later() -> Response:
    # Nothing was recorded: say so, rather than a 200 that would tell Twilio all is well. Twilio
    # resends only when the webhook URL asks for retries (docs/operating.md, "STOPs and other
    # replies"); otherwise the report or reply has to be recovered from Twilio's logs.
    return PlainTextResponse("database unavailable", status_code=503, headers={"retry-after": "5"})
