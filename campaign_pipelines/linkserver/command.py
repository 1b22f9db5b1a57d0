"""The ``serve`` command: ``campaign serve`` and ``python -m campaign_pipelines.linkserver``.

It lives in the link server's package so that starting a server imports the server and nothing
of the rest of the command line (Dagster among it).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import tempfile
from urllib.parse import quote, unquote

import typer

from campaign_pipelines.db.server import DATABASE_URL_ENV
from campaign_pipelines.linkserver.run import AsgiServer
from campaign_pipelines.linkserver.run import serve as run_server
from campaign_pipelines.linkserver.settings import LinkServerSettings, SettingsError, load_settings
from campaign_pipelines.linkserver.spool import Spool


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8080, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (about one per core)."),
    server: str = typer.Option("granian", help="ASGI server: granian (faster here) or uvicorn."),
) -> None:
    """Serve short links, record every click durably, and receive Twilio's webhooks.

    Required: LINK_IP_HASH_KEY, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL.

    Optional: CAMPAIGN_DATABASE_URL (else the embedded PostgreSQL) and LINK_* settings
    (campaign_pipelines/linkserver/settings.py).
    """
    if server not in ("granian", "uvicorn"):
        raise typer.BadParameter("--server must be granian or uvicorn")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    address = _address(host)
    try:
        settings = load_settings()
        _usable_spool(settings)
        _refuse_a_taken_port(address, port)
        database_url = _reachable_database(settings)
    except SettingsError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    chosen: AsgiServer = "uvicorn" if server == "uvicorn" else "granian"
    run_server(database_url, host=address, port=port, workers=workers, server=chosen)


def _address(host: str) -> str:
    """``--host`` as an IP address (the ASGI servers bind addresses): a name is resolved."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
    except OSError:
        raise typer.BadParameter(f"{host!r} is neither an IP address nor a resolvable name",
                                 param_hint="--host") from None  # fmt: skip


def _usable_spool(settings: LinkServerSettings) -> None:
    """The spool folder must be there (or creatable) and writable before any click is accepted:
    it is where clicks go while PostgreSQL is away, so a server without it could lose them."""
    folder = settings.spool_dir
    try:
        Spool(folder).open()
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise SettingsError(
            f"LINK_SPOOL_DIR {str(folder)!r} cannot be used: {e.strerror or type(e).__name__};"
            " point it at a writable folder (clicks are kept there while PostgreSQL is away)"
        ) from None


def _refuse_a_taken_port(address: str, port: int) -> None:
    """Granian binds with SO_REUSEPORT, so a second server on a taken port would start and
    quietly share the traffic (with its own keys and settings); refuse instead."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"port {port} on {address} is already in use (another campaign serve?);"
                    " stop it or pass another --port"
                ) from None
            raise SettingsError(f"cannot listen on {address}:{port}: {e.strerror}") from None


def _reachable_database(settings: LinkServerSettings) -> str:
    """The database URL (the embedded PostgreSQL's, started, when none is set), once it has
    answered; fails naming the variable if it cannot be reached."""
    import psycopg

    try:
        url = settings.resolved_database_url()
    except Exception as e:
        if settings.database_url is None:
            raise SettingsError(
                f"{DATABASE_URL_ENV} is not set and the embedded PostgreSQL did not start:"
                f" {type(e).__name__}: {e}"
            ) from None
        # A malformed URL: SQLAlchemy's error or our own ValueError.
        # Only our own message: a parser's could quote the URL, password and all.
        detail = str(e) if str(e).startswith(DATABASE_URL_ENV) else "it could not be parsed"
        raise SettingsError(
            f"{DATABASE_URL_ENV} is not a usable PostgreSQL URL: {detail}"
        ) from None
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        # libpq quotes what it could not parse or resolve; with a mistyped URL (an unescaped @
        # or # in the password) that is part of the password.
        for given in (
            settings.database_url.get_secret_value() if settings.database_url else "",
            url,
        ):
            reason = _without_password(reason, given)
        raise SettingsError(
            f"cannot connect to the database in {DATABASE_URL_ENV}: {reason}"
        ) from None
    return url


MIN_HIDDEN = 3  # shorter pieces of a password are too common in messages to hide


def _without_password(message: str, url: str) -> str:
    """``message`` with the password in ``url``, and every piece of it, replaced by ``***``.

    The password is read the way a person wrote it, not the way a parser would: everything
    between the scheme's ``//`` and the last ``@``, after the first ``:``. It is hidden as
    written, percent-encoded and decoded, longest pieces first.
    """
    userinfo = url.partition("://")[2].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    if not password:
        return message
    pieces = set()
    for form in {password, quote(password, safe=""), unquote(password)}:
        for start in range(len(form)):
            for end in range(start + MIN_HIDDEN, len(form) + 1):
                pieces.add(form[start:end])
    for piece in sorted(pieces, key=len, reverse=True):
        if piece in message:
            message = message.replace(piece, "***")
    return message
