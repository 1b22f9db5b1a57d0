"""A link server started before the routing job published its routes catches up within seconds.

Found in a first demo run with a small voter file: the server started before ``routing_job``,
loaded no routes, and answered every visit 503 until its next full reload (30 s by default), by
which time the demo's traffic had come and gone.
"""

from __future__ import annotations

import os
import secrets
import time

import httpx
from sqlalchemy import Engine, text
from test_linkserver_http import DESTINATION, PUBLIC_BASE_URL, add_link

from campaign_pipelines.db.server import libpq_url
from campaign_pipelines.linkserver.process import link_server_process


def test_routes_published_after_start_are_picked_up_within_seconds(
    engine: Engine, database_url: str, tmp_path
):
    code = add_link(engine)  # and the route it takes, published
    with engine.begin() as conn:
        policy = conn.execute(text("SELECT * FROM link_policy")).mappings().one()
        conn.execute(text("DELETE FROM link_policy"))  # not published yet
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": libpq_url(database_url),
        "LINK_IP_HASH_KEY": secrets.token_urlsafe(32),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LINK_SPOOL_DIR": str(tmp_path / "spool"),
        "LINK_RESOLVER_REFRESH_SECONDS": "3600",  # only the unpublished retry can catch up
    }
    with (
        link_server_process(env, log_path=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as client,
    ):
        before = client.get(f"/{code}")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO link_policy"
                    " (policy_id, base_url, allowed_domains, timezone, state) VALUES"
                    " (:policy_id, :base_url, :allowed_domains, :timezone, :state)"
                ),
                {
                    k: policy[k]
                    for k in ("policy_id", "base_url", "allowed_domains", "timezone", "state")
                },
            )
        deadline = time.monotonic() + 5
        after = client.get(f"/{code}")
        while after.status_code != 302 and time.monotonic() < deadline:
            time.sleep(0.2)
            after = client.get(f"/{code}")

    assert before.status_code == 503
    assert after.status_code == 302
    assert after.headers["location"].startswith(DESTINATION)
