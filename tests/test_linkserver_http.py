"""The link server over real sockets: clicks labelled, unknown codes, and Twilio's webhooks.

One server (``campaign serve`` in a child process) runs for the module, as it would behind a
TLS-terminating proxy at https://links.example.org: the tests play the proxy, calling
http://127.0.0.1:PORT with X-Forwarded-* headers.
"""

from __future__ import annotations

import hmac
import os
import random
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine, text
from twilio.request_validator import RequestValidator

from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.linkserver.process import LinkServerProcess, link_server_process

PUBLIC_BASE_URL = "https://links.example.org"
AUTH_TOKEN = secrets.token_hex(16)
IP_HASH_KEY = secrets.token_urlsafe(32)
DESTINATION = "https://example.org/donate"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
VISITOR_IP = "203.0.113.7"
# What the TLS-terminating proxy in front of the server adds to every request it passes on.
PROXY_HEADERS = {"X-Forwarded-For": VISITOR_IP, "X-Forwarded-Proto": "https"}


def publish_donate_route(conn) -> None:
    """One route whose every link lands on DESTINATION, published as routing publishes it."""
    conn.execute(
        text(
            "INSERT INTO link_policy (policy_id, base_url, allowed_domains, timezone, state)"
            " VALUES (1, :base, ARRAY['example.org'], 'America/New_York', 'NC')"
            " ON CONFLICT DO NOTHING"
        ),
        {"base": PUBLIC_BASE_URL},
    )
    conn.execute(
        text(
            "INSERT INTO routes (route, rules, fallback_key)"
            " VALUES ('donate', '[]', 'donate:fallback') ON CONFLICT DO NOTHING"
        )
    )
    conn.execute(
        text(
            "INSERT INTO destinations (destination_key, kind, url, source)"
            " VALUES ('donate:fallback', 'page', :url, 'test') ON CONFLICT DO NOTHING"
        ),
        {"url": DESTINATION},
    )


def add_link(engine: Engine) -> str:
    code = secrets.token_hex(5)
    with engine.begin() as conn:
        publish_donate_route(conn)
        conn.execute(
            text(
                "INSERT INTO links (code, wave_id, voter_id, route)"
                " VALUES (:code, 'wave-1', :voter, 'donate')"
            ),
            {"code": code, "voter": f"V{code}"},
        )
    return code


def clicks_for(engine: Engine, code: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.method, c.is_human, c.reason, c.ip_hash, c.destination_url"
                " FROM clicks c JOIN links l USING (link_id) WHERE l.code = :code"
                " ORDER BY c.click_id"
            ),
            {"code": code},
        )
        return [dict(row._mapping) for row in rows]


@pytest.fixture(scope="module")
def server(database_url: str, emptier, tmp_path_factory) -> Iterator[LinkServerProcess]:
    # Routes are read when the server starts; each test's links are looked up on first click.
    # Start from an empty warehouse so routes an earlier module published cannot steer this one.
    emptier(engine_for(database_url))
    with engine_for(database_url).begin() as conn:
        publish_donate_route(conn)
    folder = tmp_path_factory.mktemp("linkserver")
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": libpq_url(database_url),
        "LINK_IP_HASH_KEY": IP_HASH_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LINK_TRUSTED_PROXIES": "127.0.0.1",
        "LINK_SPOOL_DIR": str(folder / "spool"),
        "LINK_RESOLVER_REFRESH_SECONDS": "3600",
    }
    with link_server_process(env, log_path=folder / "server.log") as running:
        yield running


@pytest.fixture
def client(server: LinkServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client:
        yield client


def test_clicks_head_and_get_from_an_iphone_are_two_rows_and_one_person(engine, client):
    code = add_link(engine)

    head = client.head(f"/{code}", headers={"User-Agent": IPHONE, **PROXY_HEADERS})
    get = client.get(f"/{code}", headers={"User-Agent": IPHONE, **PROXY_HEADERS})

    assert (head.status_code, get.status_code) == (302, 302)
    assert head.headers["location"] == get.headers["location"] == DESTINATION
    rows = clicks_for(engine, code)
    assert [(row["method"], row["is_human"], row["reason"]) for row in rows] == [
        ("HEAD", False, "head_request"),
        ("GET", True, "person"),
    ]
    visitor = hmac.digest(IP_HASH_KEY.encode(), VISITOR_IP.encode(), "sha256")[:16].hex()
    assert [row["ip_hash"] for row in rows] == [visitor, visitor]


@pytest.mark.parametrize(
    ("user_agent", "reason"),
    [
        (SLACKBOT, "link_preview:slack"),
        (FACEBOOK, "link_preview:facebook"),
        (None, "no_user_agent"),
    ],
)
def test_clicks_from_machines_are_labelled_with_their_reason(engine, client, user_agent, reason):
    code = add_link(engine)
    request = client.build_request("GET", f"/{code}")
    if user_agent is None:
        del request.headers["User-Agent"]
    else:
        request.headers["User-Agent"] = user_agent

    response = client.send(request)

    assert response.status_code == 302
    assert [(row["is_human"], row["reason"]) for row in clicks_for(engine, code)] == [
        (False, reason)
    ]


def test_unknown_code_is_a_404_page_and_writes_no_click(engine, client):
    add_link(engine)

    response = client.get("/NoSuchCode", headers={"User-Agent": IPHONE})

    assert response.status_code == 404
    assert "not found" in response.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clicks")).scalar_one() == 0


def test_a_trailing_slash_is_a_404_not_a_redirect_built_from_the_host_header(engine, client):
    code = add_link(engine)

    answers = [
        client.get(f"/{code}/", headers={"Host": "evil.example.com"}),
        client.post("/twilio/status/", headers={"Host": "evil.example.com"}),
    ]

    assert [a.status_code for a in answers] == [404, 404]
    assert all("location" not in a.headers for a in answers)
    assert clicks_for(engine, code) == []


def signed(path: str, params: dict[str, str], *, token: str = AUTH_TOKEN) -> dict[str, str]:
    """Headers of a webhook Twilio signed for PUBLIC_BASE_URL + path, seen through the proxy."""
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)
    return {"X-Twilio-Signature": signature, **PROXY_HEADERS}


def status_params(sid: str, status: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": "+19195550100",
        "From": "+19195550199",
        "ApiVersion": "2010-04-01",
    }


def test_webhooks_status_signed_for_the_public_url_verifies_behind_the_proxy(engine, client):
    sid = "SM" + secrets.token_hex(16)
    params = status_params(sid, "delivered")

    response = client.post("/twilio/status", data=params, headers=signed("/twilio/status", params))

    assert str(client.base_url).startswith("http://127.0.0.1:")
    assert response.status_code == 204
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT status, delivered_at IS NOT NULL FROM message_statuses"
                " WHERE message_sid = :sid"
            ),
            {"sid": sid},
        ).one()
        callbacks = conn.execute(text("SELECT count(*) FROM status_callbacks")).scalar_one()
    assert tuple(stored) == ("delivered", True)
    assert callbacks == 1


def test_webhooks_status_bursts_out_of_order_and_twice_keep_the_furthest_status(engine, server):
    # Concurrent callbacks share a commit; several for one message can land in one batch.
    rng = random.Random(7)
    final = {
        "SM" + secrets.token_hex(16): rng.choice(["delivered", "undelivered"]) for _ in range(40)
    }
    posts = [
        status_params(sid, status)
        for sid, last in final.items()
        for status in ("queued", "sent", last, last, "sent")
    ]
    rng.shuffle(posts)

    def post(params: dict[str, str]) -> int:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as one:
            headers = signed("/twilio/status", params)
            return one.post("/twilio/status", data=params, headers=headers).status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, posts))

    assert answers == [204] * len(posts)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT message_sid, status FROM message_statuses")).all())
        callbacks = conn.execute(text("SELECT count(*) FROM status_callbacks")).scalar_one()
    assert stored == final
    assert callbacks == len(posts)


def test_webhooks_a_field_with_a_nul_is_refused_alone_and_the_rest_are_recorded(engine, server):
    # PostgreSQL text cannot hold NUL; one such callback used to fail its whole commit batch.
    good = [status_params("SM" + secrets.token_hex(16), "delivered") for _ in range(30)]
    bad = [{**status_params("SM" + secrets.token_hex(16), "failed"), "ErrorCode": "1\x002"}]
    inbound = {"MessageSid": "SM" + secrets.token_hex(16), "From": "+19195550123",
               "To": "+19195550199", "Body": "STOP\x00"}  # fmt: skip

    def post(item: tuple[str, dict[str, str]]) -> int:
        path, params = item
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as one:
            return one.post(path, data=params, headers=signed(path, params)).status_code

    items = [("/twilio/status", p) for p in bad * 5 + good] + [("/twilio/inbound", inbound)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, items))

    assert answers == [400] * 5 + [204] * len(good) + [400]
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT message_sid FROM message_statuses")).scalars())
        replies = conn.execute(text("SELECT count(*) FROM inbound_messages")).scalar_one()
    assert {p["MessageSid"] for p in good} <= stored
    assert bad[0]["MessageSid"] not in stored
    assert replies == 0


def test_webhooks_an_overlong_sid_is_refused_alone_and_the_rest_are_recorded(engine, server):
    # A 9 kB SID is more than PostgreSQL indexes; it used to fail its batch mates with a 503.
    good = [status_params("SM" + secrets.token_hex(16), "delivered") for _ in range(30)]
    bad = [status_params("SM" + secrets.token_hex(4500), "delivered")]
    inbound = {"MessageSid": "SM" + secrets.token_hex(4500), "From": "+19195550123", "Body": "STOP"}

    def post(item: tuple[str, dict[str, str]]) -> httpx.Response:
        path, params = item
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as one:
            return one.post(path, data=params, headers=signed(path, params))

    items = [("/twilio/status", p) for p in bad * 5 + good] + [("/twilio/inbound", inbound)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, items))

    assert [answer.status_code for answer in answers] == [400] * 5 + [204] * len(good) + [400]
    assert answers[0].text == "MessageSid is longer than 64 characters"
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT message_sid FROM message_statuses")).scalars())
        replies = conn.execute(text("SELECT count(*) FROM inbound_messages")).scalar_one()
    assert stored == {p["MessageSid"] for p in good}
    assert replies == 0


def test_disabled_and_expired_links_are_a_410_and_the_visits_are_recorded(engine, client):
    disabled, expired = add_link(engine), add_link(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE links SET status = 'disabled' WHERE code = :c"), {"c": disabled})
        conn.execute(
            text("UPDATE links SET expires_at = now() - interval '1 minute' WHERE code = :c"),
            {"c": expired},
        )

    # A visitor of its own: link ids restart with each test's empty warehouse, and the server
    # remembers earlier tests' visitors for its repeat window.
    visitor = {"User-Agent": IPHONE, "X-Forwarded-For": "198.51.100.77"}
    answers = [client.get(f"/{code}", headers=visitor) for code in (disabled, expired)]

    assert [answer.status_code for answer in answers] == [410, 410]
    assert [answer.headers.get("location") for answer in answers] == [None, None]
    visits = [
        [(row["method"], row["reason"], row["destination_url"]) for row in clicks_for(engine, code)]
        for code in (disabled, expired)
    ]
    assert visits == [[("GET", "person", None)]] * 2


def test_polling_place_page_with_a_nul_in_its_key_is_a_404(client):
    assert client.get("/p/%00").status_code == 404


def test_webhooks_forged_signature_is_refused_and_nothing_recorded(engine, client):
    params = status_params("SM" + secrets.token_hex(16), "delivered")
    forged = signed("/twilio/status", params, token=secrets.token_hex(16))

    response = client.post("/twilio/status", data=params, headers=forged)

    assert response.status_code == 403
    with engine.connect() as conn:
        for table in ("status_callbacks", "message_statuses"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


@pytest.mark.parametrize("body", ["Stop", " STOP. ", "stop please", "OPTOUT", "Opt out", "REVOKE"])
def test_webhooks_inbound_opt_out_keywords_record_one_opt_out(engine, client, body):
    phone = "+1919555" + f"{secrets.randbelow(10_000):04d}"
    params = {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": "SM" + secrets.token_hex(16),
        "From": phone,
        "To": "+19195550199",
        "Body": body,
        "NumMedia": "0",
    }

    # Twilio retries a webhook it thinks failed: the same message twice is one opt-out.
    for _ in range(2):
        response = client.post(
            "/twilio/inbound", data=params, headers=signed("/twilio/inbound", params)
        )
        assert response.status_code == 200

    with engine.connect() as conn:
        opt_outs = conn.execute(text("SELECT phone_e164, opted_out FROM opt_outs")).all()
        kinds = conn.execute(text("SELECT kind FROM inbound_messages")).scalars().all()
    assert [tuple(row) for row in opt_outs] == [(phone, True)]
    assert kinds == ["opt_out"]


@pytest.mark.parametrize(
    ("sender", "opted_out"),
    [
        ("whatsapp:+19195550123", "+19195550123"),
        ("notaphone", None),
        ("89361", None),  # a short code
    ],
)
def test_webhooks_inbound_stop_from_a_sender_that_is_not_a_number_is_kept_raw_only(
    engine, client, sender, opted_out
):
    params = {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": "SM" + secrets.token_hex(16),
        "From": sender,
        "To": "+19195550199",
        "Body": "STOP",
        "NumMedia": "0",
    }

    response = client.post(
        "/twilio/inbound", data=params, headers=signed("/twilio/inbound", params)
    )

    assert response.status_code == 200
    with engine.connect() as conn:
        phones = conn.execute(text("SELECT phone_e164 FROM opt_outs")).scalars().all()
        senders = conn.execute(text("SELECT from_phone FROM inbound_messages")).scalars().all()
    assert phones == ([opted_out] if opted_out else [])
    assert senders == [sender]
