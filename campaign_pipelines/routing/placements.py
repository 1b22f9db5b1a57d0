"""Shared links: one code per placement (a yard-sign QR, a TV spot's vanity path, a mailer).

A shared link has no voter and no wave. Its stored destination is where it goes before the
visitor says anything (the route decided from the campaign's state alone); at click time the
resolver asks for a ZIP code whenever a rule needs a district.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection

from campaign_pipelines.config import CampaignConfig
from campaign_pipelines.routing.minting import link_utm
from campaign_pipelines.routing.rules import Route, choose
from campaign_pipelines.routing.store import write_placement
from campaign_pipelines.routing.urls import merge_utm

PLACEMENT_COLUMNS = ["placement", "route", "channel", "code"]


def placement_rows(
    config: CampaignConfig, routes: Mapping[str, Route], urls: Mapping[str, str]
) -> list[tuple[dict, str | None]]:
    """Each placement's link row and its vanity code (None: mint one)."""
    context = {"state": config.campaign.state}
    rows = []
    for placement in config.links.placements:
        route = routes[placement.route]
        choice = choose(route, context, channel=placement.channel, known=urls.__contains__)
        utm = link_utm(
            route, channel=placement.channel, campaign=placement.placement, extra=placement.utm
        )
        url = urls.get(choice.destination_key)
        row = {
            "wave_id": None,
            "voter_id": None,
            "route": placement.route,
            "channel": placement.channel,
            "variant": None,
            "placement": placement.placement,
            "destination_key": choice.destination_key,
            "destination_url": merge_utm(url, utm) if url else None,
            "utm": utm,
            "timezone": None,
            "context": context,
        }
        rows.append((row, placement.code))
    return rows


def write_placements(
    conn: Connection, config: CampaignConfig, routes: Mapping[str, Route], urls: Mapping[str, str]
) -> pd.DataFrame:
    """Create or re-point every placement's link; returns ``PLACEMENT_COLUMNS``."""
    written = [
        {
            **{c: row[c] for c in PLACEMENT_COLUMNS[:3]},
            "code": write_placement(conn, row, vanity=vanity),
        }
        for row, vanity in placement_rows(config, routes, urls)
    ]
    return pd.DataFrame(written, columns=PLACEMENT_COLUMNS)
