"""Who a wave's links are for, and the facts the ``links`` checks judge, as SQL on the warehouse.

A wave's audience is every voter whose district matches each of the wave's audience filters (all
voters when it has none). Consent, opt-outs and the holdout are decided downstream when the wave
is sent: every audience voter gets links, so a voter's link exists before anyone decides whether
to text them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Text, column, exists, func, select, true, values
from sqlalchemy.sql import Select

from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.db.schema.links import links, voter_routes
from campaign_pipelines.db.schema.voters import district_assignments, voters


def _in_audience(wave: WaveConfig, voter_id) -> list:
    return [
        exists().where(
            district_assignments.c.voter_id == voter_id,
            district_assignments.c.layer == f.layer,
            district_assignments.c.district_id.in_(f.districts),
        )
        for f in wave.audience
    ]


def read_audience_routes(conn: Connection, wave: WaveConfig) -> pd.DataFrame:
    """The wave's audience x its routes, from ``voter_routes``, ordered by voter and route."""
    query = (
        select(
            voter_routes.c.voter_id,
            voter_routes.c.route,
            voter_routes.c.destination_key,
            voter_routes.c.rule,
            voter_routes.c.is_fallback,
            voter_routes.c.timezone,
            func.cast(voter_routes.c.context, Text).label("context"),
        )
        .where(voter_routes.c.route.in_(wave.routes), *_in_audience(wave, voter_routes.c.voter_id))
        .order_by(voter_routes.c.voter_id, voter_routes.c.route)
    )
    return pd.read_sql(query, conn)


@dataclass(frozen=True)
class LinkFacts:
    audience: int
    missing: int  # (audience voter, wave route) pairs with no SMS link
    missing_sample: list[str]
    codes: int
    distinct_codes: int
    voter_links_without_wave: int
    links_of_unknown_waves: int
    destination_urls: list[str | None]  # distinct, of this wave's and the shared links


def link_facts(conn: Connection, wave: WaveConfig, known_waves: list[str]) -> LinkFacts:
    audience = select(voters.c.voter_id).where(*_in_audience(wave, voters.c.voter_id)).subquery()
    wave_routes = values(column("route", Text), name="wave_routes").data(
        [(r,) for r in wave.routes]
    )
    missing = _missing_links(audience, wave_routes, wave.id)
    counts = conn.execute(
        select(func.count(), func.count(links.c.code.distinct())).select_from(links)
    ).one()
    urls = conn.execute(
        select(links.c.destination_url)
        .where((links.c.wave_id == wave.id) | links.c.placement.is_not(None))
        .distinct()
    ).scalars()
    return LinkFacts(
        audience=conn.execute(select(func.count()).select_from(audience)).scalar_one(),
        missing=conn.execute(select(func.count()).select_from(missing.subquery())).scalar_one(),
        missing_sample=list(conn.execute(missing.limit(5)).scalars()),
        codes=counts[0],
        distinct_codes=counts[1],
        voter_links_without_wave=_count(
            conn, links.c.voter_id.is_not(None) & links.c.wave_id.is_(None)
        ),
        links_of_unknown_waves=_count(
            conn, links.c.wave_id.is_not(None) & links.c.wave_id.not_in(known_waves)
        ),
        destination_urls=list(urls),
    )


def _missing_links(audience, wave_routes, wave_id: str) -> Select:
    has_link = exists().where(
        links.c.wave_id == wave_id,
        links.c.voter_id == audience.c.voter_id,
        links.c.route == wave_routes.c.route,
        links.c.channel == "sms",
    )
    return (
        select(audience.c.voter_id)
        .select_from(audience.join(wave_routes, true()))
        .where(~has_link)
        .order_by(audience.c.voter_id)
    )


def _count(conn: Connection, condition) -> int:
    return conn.execute(select(func.count()).select_from(links).where(condition)).scalar_one()
