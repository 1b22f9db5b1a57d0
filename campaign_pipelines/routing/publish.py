"""Publish routing for the link server: destinations, routes, the link policy, ZIP districts and
voter routes, each replaced whole inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema.links import (
    destinations,
    link_policy,
    routes,
    voter_routes,
    zip_districts,
)
from campaign_pipelines.routing.rules import Route


def publish_catalog(
    conn: Connection,
    catalog: pd.DataFrame,
    published: Iterable[Route],
    *,
    base_url: str,
    allowed_domains: Iterable[str],
    timezone: str,
    state: str | None,
) -> None:
    conn.execute(delete(destinations))
    copy_dataframe(conn, "destinations", catalog.assign(details=catalog["details"].map(json.dumps)))
    conn.execute(delete(routes))
    rows = [
        {
            "route": r.route,
            "rules": [rule.as_json() for rule in r.rules],
            "fallback_key": r.fallback_key,
            "utm": dict(r.utm),
        }
        for r in published
    ]
    if rows:
        conn.execute(insert(routes), rows)
    policy = {
        "policy_id": 1,
        "base_url": base_url,
        "allowed_domains": sorted(allowed_domains),
        "timezone": timezone,
        "state": state,
    }
    statement = pg_insert(link_policy).values(policy)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["policy_id"],
            set_={**policy, "updated_at": statement.excluded.updated_at},
        )
    )


def destination_urls(conn: Connection) -> dict[str, str]:
    """Every catalog key with its URL."""
    rows = conn.execute(select(destinations.c.destination_key, destinations.c.url)).all()
    return {key: url for key, url in rows if url}


def replace_voter_routes(conn: Connection, frame: pd.DataFrame, zips: pd.DataFrame) -> None:
    conn.execute(delete(voter_routes))
    copy_dataframe(conn, "voter_routes", frame)
    conn.execute(delete(zip_districts))
    copy_dataframe(conn, "zip_districts", zips)
