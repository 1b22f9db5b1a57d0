"""A wave's messages: each eligible voter's variant, links, time zone and rendered text."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from campaign_pipelines.config.models import CampaignConfig
from campaign_pipelines.config.waves import WaveConfig
from campaign_pipelines.messaging.rendering import link_field, render_all, routes_linked
from campaign_pipelines.routing.minting import assign_variants
from campaign_pipelines.rules.quiet_hours import voter_timezones

MESSAGE_COLUMNS = [
    "wave_id", "voter_id", "variant", "link_id", "to_phone", "body", "encoding", "segments",
    "timezone", "home_state",
]  # fmt: skip

_AUDIENCE = text(
    "SELECT a.voter_id, v.first_name, v.last_name, v.city, v.county_name,"
    " v.phone_e164 AS to_phone, v.state AS home_state, v.latitude, v.longitude,"
    " d.name AS polling_place_name, d.address AS polling_place_address,"
    " d.hours AS polling_place_hours"
    " FROM wave_audience a JOIN voters v ON v.voter_id = a.voter_id"
    " LEFT JOIN destinations d ON d.destination_key = 'polling_place:' || v.precinct_key"
    " WHERE a.wave_id = :wave_id AND a.exclusion IS NULL"
    " ORDER BY a.voter_id"
)
_LINKS = text(
    "SELECT voter_id, route, link_id, code, variant, timezone FROM links"
    " WHERE wave_id = :wave_id AND channel = 'sms' AND voter_id IS NOT NULL"
    " AND route = ANY(:routes)"
)


@dataclass(frozen=True)
class WaveMessages:
    frame: pd.DataFrame  # MESSAGE_COLUMNS
    short_urls: pd.DataFrame  # voter_id, short_url: the links a voter's message must carry
    without_links: list[str]  # eligible voters missing a link for some route of the wave


def build_messages(conn: Connection, config: CampaignConfig, wave: WaveConfig) -> WaveMessages:
    """Render the wave for its eligible audience. Raises ``MissingValueError`` (from rendering)
    naming the template and field when a voter lacks a value and no fallback is set."""
    people = pd.read_sql(_AUDIENCE, conn, params={"wave_id": wave.id})
    links = pd.read_sql(_LINKS, conn, params={"wave_id": wave.id, "routes": wave.routes})

    base = config.links.base_url.rstrip("/")
    links["short_url"] = base + "/" + links["code"]
    per_route = links.pivot(index="voter_id", columns="route", values="short_url").reindex(
        columns=wave.routes
    )
    complete = per_route.notna().all(axis=1)
    linked = set(complete[complete].index)
    without = sorted(set(people["voter_id"]) - linked)
    people = people[people["voter_id"].isin(linked)].reset_index(drop=True)

    primary = links[links["route"] == wave.routes[0]].set_index("voter_id")
    for route in wave.routes:
        people[link_field(route)] = people["voter_id"].map(per_route[route])
    people["link"] = people[link_field(wave.routes[0])]
    people["link_id"] = people["voter_id"].map(primary["link_id"])
    people["variant"] = _variants(people, primary, wave)
    people["timezone"] = _timezones(people, primary, config.campaign.timezone)

    rendered = _render(people, config, wave)
    frame = people.merge(rendered, on="voter_id").assign(wave_id=wave.id)
    return WaveMessages(frame[MESSAGE_COLUMNS], _carried(frame, links, wave), without)


def _carried(frame: pd.DataFrame, links: pd.DataFrame, wave: WaveConfig) -> pd.DataFrame:
    """The short URLs each voter's message must carry: those of the routes its variant links."""
    linked = pd.DataFrame(
        [
            (v.name, route)
            for v in wave.variants
            for route in routes_linked(v.template, wave.routes)
        ],
        columns=["variant", "route"],
    )
    needed = frame[["voter_id", "variant"]].merge(linked, on="variant")
    return needed.merge(links[["voter_id", "route", "short_url"]], on=["voter_id", "route"])[
        ["voter_id", "short_url"]
    ]


def _variants(people: pd.DataFrame, primary: pd.DataFrame, wave: WaveConfig) -> pd.Series:
    # The links asset draws each voter's variant (it tags the link's utm_content); the same draw
    # is repeated here only for links minted without one.
    chosen = people["voter_id"].map(primary["variant"])
    missing = chosen.isna()
    if missing.any():
        drawn = assign_variants(wave.id, people.loc[missing, "voter_id"].tolist(), wave.variants)
        chosen[missing] = drawn
    return chosen


def _timezones(people: pd.DataFrame, primary: pd.DataFrame, fallback: str) -> pd.Series:
    zone = people["voter_id"].map(primary["timezone"])
    missing = zone.isna() & people["latitude"].notna()
    if missing.any():
        found = voter_timezones(
            people.loc[missing, "latitude"].to_numpy(), people.loc[missing, "longitude"].to_numpy()
        )
        zone[missing] = found
    return zone.fillna(fallback)


def _render(people: pd.DataFrame, config: CampaignConfig, wave: WaveConfig) -> pd.DataFrame:
    index = config.messaging.waves.index(wave)
    opt_out = config.messaging.opt_out_language if wave.append_opt_out else None
    parts = []
    for variant in wave.variants:
        rows = people[people["variant"] == variant.name].to_dict("records")
        rendered = render_all(
            variant.template,
            rows,
            label=f"{config.source_path}: {wave.template_label(variant)}",
            fallbacks=wave.fallbacks,
            fallback_path=f"messaging.waves[{index}].fallbacks",
            opt_out=opt_out,
        )
        parts.append(pd.DataFrame(rendered, columns=["voter_id", "body", "encoding", "segments"]))
    return pd.concat(parts, ignore_index=True)
