"""The official Twilio client, pointed at a Twilio-compatible server such as the fake."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

# twilio-python logs every request's query parameters (phone numbers, for list filters) at INFO.
_http_logger = logging.getLogger(__name__ + ".http")
_http_logger.setLevel(logging.WARNING)


def local_client(base_url: str, account_sid: str, auth_token: str) -> Client:
    """A ``twilio.rest.Client`` whose 2010-04-01 API calls (``client.messages`` and the rest of
    ``client.api``) go to ``base_url``, e.g. ``http://127.0.0.1:8099``, instead of api.twilio.com.

    Twilio's SDK resolves every URL from its domain's public ``base_url``, so replacing that one
    attribute also covers paging links. Edge and region are cleared because the SDK would splice
    them into the host name, and proxies from the environment are ignored for a local server.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must look like http://127.0.0.1:8099, got {base_url!r}")

    http_client = TwilioHttpClient(logger=_http_logger, timeout=10)
    if http_client.session is not None:
        http_client.session.trust_env = False
    client = Client(account_sid, auth_token, http_client=http_client)
    client.edge = None
    client.region = None
    client.api.base_url = base_url.rstrip("/")
    return client
