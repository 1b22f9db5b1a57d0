"""``campaign serve`` refuses to start, with one clear line, when it could not serve correctly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from campaign_pipelines.linkserver.command import _address
from campaign_pipelines.linkserver.process import free_port

GOOD = {
    "LINK_IP_HASH_KEY": "ip-hash-key-for-tests-0123456789",
    "TWILIO_AUTH_TOKEN": "twilio-token-for-tests-987654321",
    "PUBLIC_BASE_URL": "https://links.example.org",
}


def serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.linkserver", *args],
        env={**os.environ, **GOOD, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_port_another_server_listens_on(database_url):
    port = free_port()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as Granian binds
        listener.bind(("127.0.0.1", port))
        listener.listen()

        done = serve("--port", str(port), CAMPAIGN_DATABASE_URL=database_url)

    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr


def test_serve_names_the_database_variable_when_the_server_cannot_be_reached():
    done = serve(
        "--port", str(free_port()), CAMPAIGN_DATABASE_URL="postgresql://u:pw-secret@127.0.0.1:1/x"
    )

    assert done.returncode == 2
    assert "cannot connect to the database in CAMPAIGN_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert "pw-secret" not in done.stderr


@pytest.mark.parametrize(
    ("url", "pieces"),
    [
        # An unescaped # and @ in the password: libpq quotes the "host" it failed to resolve.
        ("postgresql://campaign:p@ss#w0rd@127.0.0.1:1/campaign", ["ss#w0rd", "w0rd"]),
        ("postgresql://u:Sup%er@[bad/x", ["Sup%er", "Sup%25er"]),
    ],
)
def test_serve_a_mistyped_database_url_never_shows_its_password(url, pieces):
    done = serve("--port", str(free_port()), CAMPAIGN_DATABASE_URL=url)

    assert done.returncode == 2
    assert "CAMPAIGN_DATABASE_URL" in done.stderr
    assert [piece for piece in pieces if piece in done.stderr] == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u:pw-secret@127.0.0.1/x", "must be a PostgreSQL URL"),
        ("not a url pw-secret", "it could not be parsed"),
    ],
)
def test_serve_a_database_url_that_is_not_postgresql_is_named_not_echoed(url, expected):
    done = serve("--port", str(free_port()), CAMPAIGN_DATABASE_URL=url)

    assert done.returncode == 2
    assert "CAMPAIGN_DATABASE_URL is not a usable PostgreSQL URL" in done.stderr
    assert expected in done.stderr
    assert "pw-secret" not in done.stderr


@pytest.mark.parametrize("folder", ["/proc/no-such-spool", "/dev/null/spool"])
def test_serve_an_unusable_spool_folder_is_named_before_the_port_is_bound(folder):
    port = free_port()
    done = serve("--port", str(port), LINK_SPOOL_DIR=folder)

    assert done.returncode == 2
    assert f"LINK_SPOOL_DIR {folder!r} cannot be used" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_an_out_of_range_port_is_a_usage_error():
    done = serve("--port", "99999")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_serve_host_names_are_resolved_to_an_address():
    assert _address("localhost") in ("127.0.0.1", "::1")
    assert _address("::1") == "::1"
