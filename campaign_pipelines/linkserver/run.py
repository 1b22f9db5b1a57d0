"""Serving the app with a production ASGI server: Granian (default) or Uvicorn.

Measured on this project's 2-core machine with wrk on 127.0.0.1 (a bare ASGI redirect, no
database, one worker): Granian about 40k requests/s, Uvicorn with uvloop and httptools about 25k,
nginx about 62k. Both servers get the same treatment: no access log (its lines would carry
client addresses and link codes), HTTP/1.1 only, no proxy-header rewriting (``privacy`` decides
which forwarding headers to believe), and the lifespan that drains clicks on shutdown.
"""

from __future__ import annotations

import logging
import os
from typing import Literal

from campaign_pipelines.db.server import DATABASE_URL_ENV

log = logging.getLogger(__name__)

APP_FACTORY = "campaign_pipelines.linkserver.app:create_worker_app"
HEADER_READ_TIMEOUT_MS = 10_000
PARSER_BUFFER_BYTES = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 15

AsgiServer = Literal["granian", "uvicorn"]

# Applied in every worker by either server: our lines and the server's own, no access log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        **{
            name: {"handlers": ["console"], "level": "INFO", "propagate": False}
            for name in ("campaign_pipelines", "_granian", "uvicorn")
        },
        # The pool warns at every failed reconnection; the breaker says it once per outage.
        "psycopg.pool": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}


def serve(
    database_url: str,
    *,
    host: str,
    port: int,
    workers: int,
    server: AsgiServer = "granian",
) -> None:
    """Run until interrupted. Workers read the same environment, with the database URL (the
    settings' resolved one: see ``command``) fixed here once, so that at most one embedded
    PostgreSQL is started (by this process)."""
    os.environ[DATABASE_URL_ENV] = database_url
    log.info("link server on http://%s:%d with %d %s worker(s)", host, port, workers, server)
    if server == "uvicorn":
        _serve_uvicorn(host, port, workers)
    else:
        _serve_granian(host, port, workers)


def _serve_granian(host: str, port: int, workers: int) -> None:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.server import Server

    Server(
        APP_FACTORY,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        backlog=2048,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_READ_TIMEOUT_MS, max_buffer_size=PARSER_BUFFER_BYTES
        ),
        log_access=False,
        log_dictconfig=LOGGING,
        workers_kill_timeout=GRACEFUL_SHUTDOWN_SECONDS,
        # A worker that dies (SIGKILL, the OOM killer) is replaced; without this, Granian shuts
        # the whole server down. A worker dying again within seconds of its respawn still stops
        # the server (Granian's crash-loop guard) rather than respawning forever.
        respawn_failed_workers=True,
    ).serve()


def _serve_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="on",
        access_log=False,
        log_config=LOGGING,
        proxy_headers=False,
        server_header=False,
        backlog=2048,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
