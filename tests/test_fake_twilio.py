"""The local fake Twilio, driven by the official ``twilio`` client over real sockets on 127.0.0.1.

Every REST exchange a test makes is checked against Twilio's own OpenAPI description of the
2010-04-01 API when the test ends (see ``spec_violations``). That description lists no error
responses, so 4xx bodies are checked against Twilio's documented error shape instead.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jsonschema
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest.api.v2010.account.message import MessageInstance
from typer.testing import CliRunner
from werkzeug.datastructures import MultiDict

from campaign_pipelines.cli import app
from campaign_pipelines.cli import fake_twilio as fake_twilio_command
from campaign_pipelines.fake_twilio import (
    FaultRules,
    RunningFakeTwilio,
    local_client,
    serve_in_thread,
)
from campaign_pipelines.fake_twilio.faults import Fate
from campaign_pipelines.fake_twilio.options import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN
from campaign_pipelines.fake_twilio.traffic import Exchange
from campaign_pipelines.paths import data_dir

SPEC_PATH = data_dir() / "twilio" / "twilio_api_v2010.json"
SPEC_SERVER = "https://api.twilio.com"
MESSAGE_SCHEMA = "api.v2010.account.message"

SENDER = "+19195550100"
VOTER = "+19195550123"
OTHER_VOTER = "+19195550124"
SERVICE_SID = "MG" + "ab" * 16
SID = re.compile(r"^SM[0-9a-f]{32}$")

# Fast progressions keep the whole module within a few seconds.
TEST_OPTIONS: dict[str, Any] = {
    "record_traffic": True,
    "queued_delay": 0.0,
    "sent_delay": 0.02,
    "delivered_delay": 0.02,
    "rate_limit": None,
    "burst": None,
    "rules": FaultRules(),
    "duplicate_callbacks": False,
    "reorder_callbacks": False,
}

# Twilio's REST error body (https://www.twilio.com/docs/usage/twilios-response#response-formats).
TWILIO_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
    },
}


# --- Twilio's spec, with its custom string formats ---------------------------------------------


def _is_phone_number(value: Any) -> bool:
    return not isinstance(value, str) or bool(re.match(r"^(\+[1-9]\d{1,14}|[a-z]+:.+)$", value))


def _is_rfc2822_gmt(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return moment.utcoffset() == timedelta(0) and value.endswith("+0000")


def _is_currency(value: Any) -> bool:
    return not isinstance(value, str) or bool(re.match(r"^[A-Za-z]{3}$", value))


def _is_uri_map(value: Any) -> bool:
    if not isinstance(value, dict):
        return True
    return all(isinstance(uri, str) and uri.startswith("/") for uri in value.values())


TWILIO_FORMATS: dict[str, Callable[[Any], bool]] = {
    "phone-number": _is_phone_number,
    "date-time-rfc-2822": _is_rfc2822_gmt,
    "currency": _is_currency,
    "uri-map": _is_uri_map,
}


@pytest.fixture(scope="session")
def twilio_spec_document() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def twilio_spec(twilio_spec_document: dict[str, Any]) -> OpenAPI:
    # The published document is not re-validated on every run: it is Twilio's, and slow to check.
    config = Config(spec_validator_cls=None, extra_format_validators=TWILIO_FORMATS)
    return OpenAPI.from_dict(twilio_spec_document, config=config)


def spec_violations(spec: OpenAPI, exchanges: list[Exchange]) -> list[str]:
    """Every way these exchanges depart from Twilio's spec (or, for errors, its error shape)."""
    found: list[str] = []
    for exchange in exchanges:
        label = f"{exchange.method} {exchange.path}?{exchange.query_string} -> {exchange.status}"
        request = MockRequest(
            SPEC_SERVER,
            exchange.method,
            exchange.path,
            args=MultiDict(parse_qsl(exchange.query_string, keep_blank_values=True)),
            headers=exchange.request_headers,
            data=exchange.request_body,
            content_type=exchange.request_headers.get("content-type", "application/json"),
        )
        response = MockResponse(
            exchange.response_body,
            status_code=exchange.status,
            headers=exchange.response_headers,
            content_type=exchange.response_headers.get("content-type", ""),
        )
        found += [
            f"{label}: request {_describe(e)}" for e in spec.iter_apicall_request_errors(request)
        ]
        for error in spec.iter_apicall_response_errors(request, response):
            if isinstance(error, ResponseNotFound) and exchange.status >= 400:
                found += _error_shape_violations(label, exchange)
            else:
                found.append(f"{label}: response {_describe(error)}")
    return found


def _error_shape_violations(label: str, exchange: Exchange) -> list[str]:
    if not exchange.response_headers.get("content-type", "").startswith("application/json"):
        return [f"{label}: error body is not JSON"]
    body = json.loads(exchange.response_body)
    errors = jsonschema.Draft7Validator(TWILIO_ERROR_SCHEMA).iter_errors(body)
    found = [f"{label}: error body {error.message}" for error in errors]
    if body.get("status") != exchange.status:
        found.append(f"{label}: error body status {body.get('status')} != HTTP {exchange.status}")
    return found


def _describe(error: Exception) -> str:
    cause = error.__cause__
    details = [str(e.message) for e in getattr(cause, "schema_errors", ())]
    return f"{error!r} caused by {cause!r} {details}"


# --- servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running() -> Iterator[RunningFakeTwilio]:
    with serve_in_thread(**TEST_OPTIONS) as server:
        yield server


@pytest.fixture
def fake_twilio(running: RunningFakeTwilio, twilio_spec: OpenAPI) -> Iterator[RunningFakeTwilio]:
    """The module's server, reset; its traffic must conform to Twilio's spec when the test ends."""
    running.fake.reset()
    running.fake.configure(**TEST_OPTIONS)
    yield running
    _wait_until_idle(running)
    assert spec_violations(twilio_spec, running.fake.traffic.exchanges()) == []


@dataclass
class Webhook:
    path: str
    headers: dict[str, str]
    params: dict[str, str]


@dataclass
class WebhookReceiver:
    """A tiny HTTP server standing in for our link server's webhook endpoints."""

    base_url: str
    received: list[Webhook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Webhook]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self.lock:
            raise AssertionError(f"expected {count} webhooks, got {len(self.received)}")

    def is_signed(self, webhook: Webhook, auth_token: str = LOCAL_AUTH_TOKEN) -> bool:
        signature = webhook.headers.get("x-twilio-signature", "")
        return RequestValidator(auth_token).validate(
            self.url(webhook.path), webhook.params, signature
        )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            webhook = Webhook(
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                dict(parse_qsl(body.decode(), keep_blank_values=True)),
            )
            with state.lock:
                state.received.append(webhook)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def _wait_until_idle(running: RunningFakeTwilio, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while running.fake.pending():
        if time.monotonic() > deadline:
            raise AssertionError(f"{running.fake.pending()} background tasks after {timeout} s")
        time.sleep(0.01)


def _send(
    running: RunningFakeTwilio, body: str = "Polls are open until 7:30 pm.", **kwargs: Any
) -> MessageInstance:
    fields = {"to": VOTER, "from_": SENDER, **kwargs}
    return running.client().messages.create(body=body, **fields)


# --- fault rules (pure) -----------------------------------------------------------------------


def test_fault_fractions_are_seeded_per_number() -> None:
    numbers = [f"+1919555{n:04d}" for n in range(2000)]

    def fates(seed: int) -> list[Fate]:
        rules = FaultRules.of(unsubscribed_fraction=0.2, undelivered_fraction=0.1, seed=seed)
        return [rules.fate(number) for number in numbers]

    seven = fates(7)

    assert fates(7) == seven
    assert fates(8) != seven
    assert 0.17 < seven.count(Fate.UNSUBSCRIBED) / len(numbers) < 0.23
    assert 0.07 < seven.count(Fate.UNDELIVERED) / len(numbers) < 0.13
    assert Fate.INVALID not in seven


# --- the REST API through the official client --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        pytest.param("a" * 100, "1", id="gsm-100"),
        pytest.param("a" * 161, "2", id="gsm-161"),
        pytest.param(
            "Don’t forget: polls close at 7:30 pm tonight. Find yours at ex.co/p/3kq",
            "2",
            id="ucs2-71-curly-apostrophe",
        ),
    ],
)
def test_create_returns_queued_message(
    fake_twilio: RunningFakeTwilio, body: str, segments: str
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    message = _send(fake_twilio, body)

    assert SID.match(message.sid)
    assert message.status == "queued"
    assert message.num_segments == segments
    assert (message.to, message.from_, message.body) == (VOTER, SENDER, body)
    assert message.direction == "outbound-api"
    assert message.account_sid == LOCAL_ACCOUNT_SID
    assert message.api_version == "2010-04-01"
    assert (message.price, message.price_unit, message.error_code) == (None, "USD", None)
    assert message.date_created is not None and message.date_created >= before
    assert message.date_sent is None
    assert message.uri == f"/2010-04-01/Accounts/{LOCAL_ACCOUNT_SID}/Messages/{message.sid}.json"
    assert message.subresource_uris["media"] == message.uri.replace(".json", "/Media.json")


def test_create_response_has_every_field_of_the_spec(
    fake_twilio: RunningFakeTwilio, twilio_spec_document: dict[str, Any]
) -> None:
    _send(fake_twilio)

    (exchange,) = fake_twilio.fake.traffic.exchanges()
    schema = twilio_spec_document["components"]["schemas"][MESSAGE_SCHEMA]
    assert set(json.loads(exchange.response_body)) == set(schema["properties"])
    assert re.match(
        r"^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$",
        json.loads(exchange.response_body)["date_created"],
    )


def test_fetch_shows_delivery_and_price(fake_twilio: RunningFakeTwilio) -> None:
    sent = _send(fake_twilio, "a" * 161)
    _wait_until_idle(fake_twilio)

    fetched = fake_twilio.client().messages(sent.sid).fetch()

    assert (fetched.sid, fetched.status) == (sent.sid, "delivered")
    assert fetched.date_sent is not None
    assert (fetched.price, fetched.price_unit) == ("-0.01580", "USD")
    assert fetched.date_updated >= fetched.date_created


def test_fetch_of_unknown_sid_is_20404(fake_twilio: RunningFakeTwilio) -> None:
    with pytest.raises(TwilioRestException) as raised:
        fake_twilio.client().messages("SM" + "0" * 32).fetch()

    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_list_filters_by_recipient_and_follows_pages(fake_twilio: RunningFakeTwilio) -> None:
    sids = [_send(fake_twilio, f"Reminder {n}").sid for n in range(5)]
    _send(fake_twilio, to=OTHER_VOTER)
    client = fake_twilio.client()

    listed = client.messages.list(to=VOTER, page_size=2)
    first_page = client.messages.page(to=VOTER, page_size=2)

    assert [message.sid for message in listed] == sids[::-1]
    assert [message.sid for message in first_page] == sids[:2:-1]
    assert first_page.next_page_url is not None
    assert [m.to for m in client.messages.list(to=OTHER_VOTER)] == [OTHER_VOTER]
    assert client.messages.list(from_="+19195550999") == []


def test_list_filters_by_date_sent(fake_twilio: RunningFakeTwilio) -> None:
    sid = _send(fake_twilio).sid
    _wait_until_idle(fake_twilio)
    client = fake_twilio.client()
    sent_at = client.messages(sid).fetch().date_sent
    day_before = sent_at - timedelta(days=1)

    same_day = client.messages.list(date_sent=sent_at)
    since_day_before = client.messages.list(date_sent_after=day_before)
    until_day_before = client.messages.list(date_sent_before=day_before)

    assert [message.sid for message in same_day] == [sid]
    assert [message.sid for message in since_day_before] == [sid]
    assert until_day_before == []


def test_wrong_credentials_are_401_20003(fake_twilio: RunningFakeTwilio) -> None:
    client = local_client(fake_twilio.base_url, LOCAL_ACCOUNT_SID, "not-the-token")

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=VOTER, from_=SENDER, body="hello")

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert fake_twilio.fake.store.counts()["messages"] == 0


def test_rate_limit_answers_429_with_code_20429(fake_twilio: RunningFakeTwilio) -> None:
    # A slow refill, so the third send is refused however slow the machine is.
    fake_twilio.fake.configure(rate_limit=0.1, burst=2)

    accepted = [_send(fake_twilio), _send(fake_twilio)]
    with pytest.raises(TwilioRestException) as raised:
        _send(fake_twilio)

    assert [message.status for message in accepted] == ["queued", "queued"]
    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert fake_twilio.fake.store.counts()["rejected"] == {"20429": 1}


def test_concurrent_sends_are_all_counted(fake_twilio: RunningFakeTwilio) -> None:
    recipients = [f"+1919555{n:04d}" for n in range(4)]

    def send_ten(to: str) -> list[str]:
        client = fake_twilio.client()
        return [client.messages.create(to=to, from_=SENDER, body="hi").sid for _ in range(10)]

    with ThreadPoolExecutor(max_workers=len(recipients)) as pool:
        sids = [sid for batch in pool.map(send_ten, recipients) for sid in batch]

    assert len(set(sids)) == 40
    assert fake_twilio.fake.store.counts()["by_to"] == dict.fromkeys(recipients, 10)


@pytest.mark.parametrize(
    ("rules", "to", "code"),
    [
        pytest.param(FaultRules.of(unsubscribed=[VOTER]), VOTER, 21610, id="unsubscribed"),
        pytest.param(FaultRules.of(invalid=[VOTER]), VOTER, 21211, id="invalid-by-rule"),
        pytest.param(FaultRules(), "+1919555", 21211, id="too-short-for-nanp"),
        pytest.param(FaultRules.of(unsubscribed_fraction=1.0), VOTER, 21610, id="all-unsubscribed"),
    ],
)
def test_fault_rules_refuse_recipients(
    fake_twilio: RunningFakeTwilio, rules: FaultRules, to: str, code: int
) -> None:
    fake_twilio.fake.configure(rules=rules)

    with pytest.raises(TwilioRestException) as raised:
        _send(fake_twilio, to=to)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert fake_twilio.fake.store.counts()["outbound"] == 0


def test_messaging_service_send_gets_its_sender_when_queued(
    fake_twilio: RunningFakeTwilio,
) -> None:
    client = fake_twilio.client()

    accepted = client.messages.create(to=VOTER, messaging_service_sid=SERVICE_SID, body="hi")
    _wait_until_idle(fake_twilio)
    delivered = client.messages(accepted.sid).fetch()

    assert (accepted.status, accepted.from_, accepted.num_segments) == ("accepted", None, "0")
    assert (delivered.status, delivered.from_, delivered.num_segments) == (
        "delivered",
        "+15005550006",
        "1",
    )
    assert delivered.messaging_service_sid == SERVICE_SID


# --- webhooks ----------------------------------------------------------------------------------


def test_status_callbacks_arrive_in_order_and_signed(
    fake_twilio: RunningFakeTwilio, receiver: WebhookReceiver
) -> None:
    message = _send(fake_twilio, status_callback=receiver.url("/twilio/status"))

    callbacks = receiver.wait_for(3)

    assert [c.params["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert all(receiver.is_signed(callback) for callback in callbacks)
    assert {c.params["MessageSid"] for c in callbacks} == {message.sid}
    assert {c.params["To"] for c in callbacks} == {VOTER}
    assert all("Body" not in callback.params for callback in callbacks)
    assert not receiver.is_signed(callbacks[0], auth_token="another-token")


def test_undelivered_rule_ends_with_30007(
    fake_twilio: RunningFakeTwilio, receiver: WebhookReceiver
) -> None:
    fake_twilio.fake.configure(rules=FaultRules.of(undelivered=[VOTER]))

    message = _send(fake_twilio, status_callback=receiver.url("/twilio/status"))
    callbacks = receiver.wait_for(3)
    _wait_until_idle(fake_twilio)
    fetched = fake_twilio.client().messages(message.sid).fetch()

    assert [c.params["MessageStatus"] for c in callbacks] == ["queued", "sent", "undelivered"]
    assert callbacks[-1].params["ErrorCode"] == "30007"
    assert (fetched.status, fetched.error_code) == ("undelivered", 30007)


def test_callbacks_can_be_duplicated_and_reordered(
    fake_twilio: RunningFakeTwilio, receiver: WebhookReceiver
) -> None:
    fake_twilio.fake.configure(duplicate_callbacks=True, reorder_callbacks=True)

    _send(fake_twilio, status_callback=receiver.url("/twilio/status"))
    callbacks = receiver.wait_for(6)

    statuses = [callback.params["MessageStatus"] for callback in callbacks]
    tokens = [callback.headers["i-twilio-idempotency-token"] for callback in callbacks]
    assert statuses == ["delivered", "delivered", "sent", "sent", "queued", "queued"]
    assert tokens[0::2] == tokens[1::2]
    assert len(set(tokens)) == 3
    assert all(receiver.is_signed(callback) for callback in callbacks)


def test_inbound_reply_posts_signed_webhook(
    fake_twilio: RunningFakeTwilio, receiver: WebhookReceiver
) -> None:
    reply = {"From": VOTER, "To": SENDER, "Body": "STOP", "Url": receiver.url("/twilio/inbound")}

    answer = httpx.post(f"{fake_twilio.base_url}/_fake/inbound", json=reply).json()
    (webhook,) = receiver.wait_for(1)
    listed = fake_twilio.client().messages.list(from_=VOTER)

    assert answer["http_status"] == 204
    assert receiver.is_signed(webhook)
    assert webhook.params["MessageSid"] == answer["sid"]
    assert (webhook.params["From"], webhook.params["To"], webhook.params["Body"]) == (
        VOTER,
        SENDER,
        "STOP",
    )
    assert (webhook.params["NumMedia"], webhook.params["AccountSid"]) == ("0", LOCAL_ACCOUNT_SID)
    assert [(m.sid, m.direction, m.status) for m in listed] == [
        (answer["sid"], "inbound", "received")
    ]


# --- control endpoints and the command line ----------------------------------------------------


def test_control_endpoints_configure_inspect_and_reset(
    fake_twilio: RunningFakeTwilio, twilio_spec: OpenAPI
) -> None:
    base = fake_twilio.base_url
    config = {"rate_limit": 50, "rules": {"unsubscribed": [OTHER_VOTER]}}

    configured = httpx.put(f"{base}/_fake/config", json=config).json()
    _send(fake_twilio)
    _send(fake_twilio)
    with pytest.raises(TwilioRestException):
        _send(fake_twilio, to=OTHER_VOTER)
    stats = httpx.get(f"{base}/_fake/stats").json()
    # The reset below also clears the traffic the fixture would otherwise check.
    violations = spec_violations(twilio_spec, fake_twilio.fake.traffic.exchanges())
    bad = httpx.put(f"{base}/_fake/config", json={"rate_limt": 5})
    dropped = httpx.post(f"{base}/_fake/reset").json()

    assert configured["rate_limit"] == 50
    assert configured["rules"]["unsubscribed"] == [OTHER_VOTER]
    assert (stats["outbound"], stats["by_to"], stats["rejected"]) == (2, {VOTER: 2}, {"21610": 1})
    assert bad.status_code == 400 and "rate_limt" in bad.json()["error"]
    assert violations == []
    assert dropped == {"dropped": 2}
    assert httpx.get(f"{base}/_fake/messages").json() == {"messages": []}


def test_spec_check_catches_a_departure(
    fake_twilio: RunningFakeTwilio, twilio_spec: OpenAPI
) -> None:
    _send(fake_twilio)
    (exchange,) = fake_twilio.fake.traffic.exchanges()
    body = json.loads(exchange.response_body)
    lost = json.dumps({**body, "status": "lost"}).encode()
    unsigned = {k: v for k, v in exchange.request_headers.items() if k != "authorization"}

    broken_response = spec_violations(twilio_spec, [replace(exchange, response_body=lost)])
    broken_request = spec_violations(twilio_spec, [replace(exchange, request_headers=unsigned)])

    assert spec_violations(twilio_spec, [exchange]) == []
    assert len(broken_response) == 1 and "'lost' is not one of" in broken_response[0]
    assert len(broken_request) == 1 and "SecurityNotFound" in broken_request[0]


def test_cli_reads_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(fake_twilio_command, "run", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "12" * 16)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-env")

    result = CliRunner().invoke(app, ["fake-twilio", "--port", "8111", "--rate-limit", "25"])

    assert result.exit_code == 0, result.output
    assert calls == [
        {
            "host": "127.0.0.1",
            "port": 8111,
            "account_sid": "AC" + "12" * 16,
            "auth_token": "token-from-env",
            "rate_limit": 25.0,
        }
    ]


def test_cli_refuses_a_malformed_account_sid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake_twilio_command, "run", lambda **kwargs: None)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "not-a-sid")

    result = CliRunner().invoke(app, ["fake-twilio"])

    assert result.exit_code == 2
    assert "TWILIO_ACCOUNT_SID" in result.output
