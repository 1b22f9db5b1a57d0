"""Running ``campaign serve`` as a child process: for the demo, the benchmark and the tests.

The child gets its own process group, so ``kill`` reaches the ASGI server's workers too (a
SIGKILL to the main process alone would leave them serving).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


@dataclass
class LinkServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str

    def stop(self) -> int:
        """Ask for a graceful shutdown (pending clicks are committed) and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def kill(self) -> None:
        """SIGKILL to every process of the server, as a crash or an OOM kill would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def link_server_process(
    env: Mapping[str, str],
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int = 1,
    server: str = "granian",
    log_path: Path | None = None,
) -> Iterator[LinkServerProcess]:
    """Start the server with ``env`` (on a free port unless given); stop it when the block ends."""
    port = port or free_port(host)
    command = [
        sys.executable, "-m", "campaign_pipelines.linkserver", "--host", host, "--port", str(port),
        "--workers", str(workers), "--server", server,
    ]  # fmt: skip
    log = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        command, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    running = LinkServerProcess(process, f"http://{host}:{port}")
    try:
        wait_until_healthy(running)
        yield running
    finally:
        try:
            running.stop()
        except subprocess.TimeoutExpired:
            running.kill()
        if log_path:
            log.close()  # type: ignore[union-attr]


def wait_until_healthy(running: LinkServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(
                f"the link server exited with {running.process.returncode} while starting"
            )
        try:
            httpx.get(running.base_url + "/healthz", timeout=1.0, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the link server did not answer within {STARTUP_TIMEOUT_SECONDS:g} s")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
