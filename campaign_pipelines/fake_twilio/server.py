"""Running the fake: in the foreground (``campaign fake-twilio``) or on a thread for tests."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from twilio.rest import Client

from campaign_pipelines.fake_twilio.app import create_app
from campaign_pipelines.fake_twilio.client import local_client
from campaign_pipelines.fake_twilio.options import (
    LOCAL_ACCOUNT_SID,
    LOCAL_AUTH_TOKEN,
    FakeTwilioOptions,
)
from campaign_pipelines.fake_twilio.state import FakeTwilio

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 10.0


def run(
    host: str = "127.0.0.1",
    port: int = 8099,
    account_sid: str = LOCAL_ACCOUNT_SID,
    auth_token: str = LOCAL_AUTH_TOKEN,
    **options: Any,
) -> None:
    """Serve a fake Twilio until interrupted; ``options`` are ``FakeTwilioOptions`` fields."""
    fake = FakeTwilio(FakeTwilioOptions(account_sid=account_sid, auth_token=auth_token, **options))
    rate = fake.options.rate_limit
    logger.info(
        "Fake Twilio for %s on http://%s:%d (rate limit: %s)",
        account_sid,
        host,
        port,
        f"{rate:g}/s" if rate else "none",
    )
    # No access log: list URLs carry phone numbers in their query strings.
    uvicorn.run(create_app(fake), host=host, port=port, access_log=False, ws="none")


@dataclass(frozen=True)
class RunningFakeTwilio:
    """A fake serving on a background thread: its state and where to reach it."""

    fake: FakeTwilio
    base_url: str

    def client(self) -> Client:
        """The official Twilio client, pointed here with this fake's credentials."""
        options = self.fake.options
        return local_client(self.base_url, options.account_sid, options.auth_token)


@contextmanager
def serve_in_thread(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    account_sid: str = LOCAL_ACCOUNT_SID,
    auth_token: str = LOCAL_AUTH_TOKEN,
    **options: Any,
) -> Iterator[RunningFakeTwilio]:
    """Serve a fake on ``host`` (a free port by default) until the ``with`` block ends."""
    fake = FakeTwilio(FakeTwilioOptions(account_sid=account_sid, auth_token=auth_token, **options))
    config = uvicorn.Config(
        create_app(fake), access_log=False, log_config=None, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-twilio", daemon=True
        )
        thread.start()
        try:
            _wait_until_started(server, thread)
            yield RunningFakeTwilio(fake, f"http://{host}:{bound_port}")
        finally:
            server.should_exit = True
            thread.join(timeout=STARTUP_TIMEOUT_SECONDS)


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(
                f"fake Twilio did not start within {STARTUP_TIMEOUT_SECONDS:g} s"
                " (see the uvicorn error above)"
            )
        time.sleep(0.01)
