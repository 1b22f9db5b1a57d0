"""The processes the demo runs beside Dagster: the link server and the local Twilio.

Both are real processes on 127.0.0.1 (``campaign serve`` and ``campaign fake-twilio``), stopped
when the ``with`` block ends, whatever happens.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from campaign_pipelines import paths
from campaign_pipelines.fake_twilio.options import LOCAL_ACCOUNT_SID
from campaign_pipelines.linkserver.process import free_port, link_server_process

log = logging.getLogger(__name__)

# A throwaway token for the local fake; the real one comes from TWILIO_AUTH_TOKEN in production.
DEMO_AUTH_TOKEN = "demo-local-twilio-token-0123456789"
READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Services:
    link_base_url: str
    twilio_base_url: str
    env: dict[str, str]


@contextmanager
def running_services(*, link_port: int | None = None) -> Iterator[Services]:
    """Start the fake Twilio and the link server; export the variables the pipeline reads."""
    link_port = link_port or free_port()
    link_base = f"http://127.0.0.1:{link_port}"
    twilio_base = f"http://127.0.0.1:{free_port()}"
    with ExitStack() as stack:
        env = {
            "TWILIO_ACCOUNT_SID": LOCAL_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
            "TWILIO_BASE_URL": twilio_base,
            "TWILIO_STATUS_CALLBACK_URL": f"{link_base}/twilio/status",
            "PUBLIC_BASE_URL": link_base,
            "LINK_IP_HASH_KEY": secrets.token_hex(32),
            "LINK_SPOOL_DIR": str(paths.state_dir() / "demo" / "link-spool"),
        }
        os.environ.update(env)
        # Its own process, so a burst of sends and callbacks never waits on the demo's GIL.
        stack.enter_context(
            _process("fake-twilio", ["fake-twilio", "--port", twilio_base.rsplit(":", 1)[1]],
                     f"{twilio_base}/_fake/stats")
        )  # fmt: skip
        stack.enter_context(
            link_server_process(os.environ, port=link_port, log_path=_log_path("link-server"))
        )
        yield Services(link_base, twilio_base, env)


@contextmanager
def _process(name: str, args: list[str], ready_url: str) -> Iterator[None]:
    log_path = _log_path(name)
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "campaign_pipelines.cli.main", *args],
            stdout=log_file, stderr=subprocess.STDOUT, env=os.environ.copy(),
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_ready(process, ready_url, log_path)
            yield
        finally:
            _stop(process)


def _log_path(name: str) -> Path:
    path = paths.state_dir() / "demo" / f"{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def _wait_ready(process: subprocess.Popen, url: str, log_path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log_path.stem} exited early; see {log_path}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{log_path.stem} did not answer {url} in {READY_TIMEOUT_SECONDS:.0f}s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # graceful: pending clicks are drained first
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
