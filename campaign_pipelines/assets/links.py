"""Links: one short link per voter and route for each wave, plus the shared placement links."""

import pandas as pd
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.assets._schema import column_schema
from campaign_pipelines.config import CampaignConfig
from campaign_pipelines.db.schema import links as links_table
from campaign_pipelines.db.session import transaction
from campaign_pipelines.partitions import wave_partitions
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.routing.audience import LinkFacts, link_facts, read_audience_routes
from campaign_pipelines.routing.minting import wave_link_rows
from campaign_pipelines.routing.placements import write_placements
from campaign_pipelines.routing.publish import destination_urls
from campaign_pipelines.routing.resolve import Policy, is_safe
from campaign_pipelines.routing.rules import publish_routes
from campaign_pipelines.routing.store import PlacementCodeTaken, write_links

LINK_CHECKS = [
    AssetCheckSpec("link_codes_are_unique", asset="links", blocking=True,
                   description="No two links share a code."),
    AssetCheckSpec("destinations_are_allowlisted_https", asset="links", blocking=True,
                   description="Every destination of the wave's and the shared links is https on "
                   "an allow-listed domain, or the campaign's own polling-place page."),
    AssetCheckSpec("every_voter_has_a_link_per_route", asset="links", blocking=True,
                   description="Every voter in the wave's audience has a link for every route "
                   "the wave uses."),
    AssetCheckSpec("no_voter_link_without_a_wave", asset="links", blocking=True,
                   description="Every voter's link belongs to a wave."),
]  # fmt: skip


@asset(
    deps=["voter_routes"],
    partitions_def=wave_partitions,
    group_name="links",
    owners=OWNERS,
    kinds={"postgres"},
    check_specs=LINK_CHECKS,
    tags={"pii": "true"},
)
def links(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """The short links a wave texts: for each voter in the wave's audience and each route the
    wave uses, a nine-character code that lands on that voter's own destination, with UTM tags
    and the message variant. A voter's code never changes when the wave is run again; only
    where it points is refreshed. Shared links for yard-sign QR codes, TV and mail (one per
    placement, routed by the ZIP code the visitor enters) are kept here too."""
    config = campaign.load()
    wave = _wave(config, context.partition_key)
    routes = {route.route: route for route in publish_routes(config.links)[0]}
    context.log.info("minting links of wave %s for routes %s", wave.id, wave.routes)

    engine = postgres.engine()
    with transaction(engine) as conn:
        urls = destination_urls(conn)
        audience = read_audience_routes(conn, wave)
        rows = wave_link_rows(
            audience, wave_id=wave.id, variants=wave.variants, routes=routes, urls=urls
        )
        stats = write_links(conn, wave.id, rows)
        try:
            shared = write_placements(conn, config, routes, urls)
        except PlacementCodeTaken as e:
            raise Failure(description=str(e)) from e
    with engine.connect() as conn:
        facts = link_facts(conn, wave, [w.id for w in config.messaging.waves])

    context.log.info(
        "wave %s: %d links (%d minted, %d kept, %d re-pointed, %d codes redrawn); %d shared",
        wave.id,
        len(rows),
        stats.minted,
        stats.reused,
        stats.refreshed,
        stats.collisions,
        len(shared),
    )
    if rows.empty:
        context.log.warning("wave %s has no audience: no voter matches its filters", wave.id)
    return MaterializeResult(
        metadata={
            **_metadata(audience, stats, shared, config),
            "dagster/column_schema": column_schema(links_table),
        },
        check_results=_checks(facts, wave.routes, config),
    )


def _wave(config: CampaignConfig, wave_id: str):
    try:
        wave = config.messaging.wave(wave_id)
    except KeyError as e:
        raise Failure(description=f"{config.source_path}: {e.args[0]}") from e
    unknown = sorted(set(wave.routes) - set(config.links.routes))
    if unknown:
        raise Failure(
            description=f"{config.source_path}: wave {wave.id!r} uses routes "
            f"{unknown} that links.routes does not define"
        )
    return wave


def _metadata(audience: pd.DataFrame, stats, shared: pd.DataFrame, config) -> dict:
    summary = (
        audience.groupby(["route", "rule"])
        .agg(
            links=("voter_id", "size"),
            destinations=("destination_key", "nunique"),
            fallbacks=("is_fallback", "sum"),
        )
        .reset_index()
    )
    base = config.links.base_url.rstrip("/")
    placements = shared.assign(short_url=base + "/" + shared["code"])
    return {
        "dagster/row_count": MetadataValue.int(len(audience)),
        "voters": MetadataValue.int(int(audience["voter_id"].nunique())),
        "minted": MetadataValue.int(stats.minted),
        "kept": MetadataValue.int(stats.reused),
        "re_pointed": MetadataValue.int(stats.refreshed),
        "codes_redrawn": MetadataValue.int(stats.collisions),
        "by_route_and_rule": MetadataValue.md(summary.to_markdown(index=False) or "none"),
        "fallbacks": MetadataValue.int(int(audience["is_fallback"].sum())),
        "placements": MetadataValue.md(placements.to_markdown(index=False) or "none"),
    }


def _checks(facts: LinkFacts, routes: list[str], config) -> list:
    policy = Policy(config.links.base_url, config.links.allowed(), config.campaign.timezone)
    unsafe = [u for u in facts.destination_urls if u is None or not is_safe(u, policy)]
    pairs = facts.audience * len(routes)
    return [
        plain_result(
            "link_codes_are_unique",
            facts.codes == facts.distinct_codes,
            f"{facts.codes:,} links, {facts.distinct_codes:,} distinct codes",
        ),
        plain_result(
            "destinations_are_allowlisted_https",
            not unsafe,
            f"{len(unsafe)} of {len(facts.destination_urls):,} distinct destinations are not "
            "https on the allow-list or the campaign's own page",
            metadata={"sample_urls": MetadataValue.json([str(u) for u in unsafe[:5]])},
        ),
        plain_result(
            "every_voter_has_a_link_per_route",
            facts.missing == 0,
            f"{pairs - facts.missing:,} of {pairs:,} (voter, route) pairs have a link "
            f"({facts.audience:,} voters x {len(routes)} routes)",
            metadata={"sample_ids": MetadataValue.json(facts.missing_sample)},
        ),
        plain_result(
            "no_voter_link_without_a_wave",
            facts.voter_links_without_wave == 0,
            f"{facts.voter_links_without_wave:,} voter links without a wave; "
            f"{facts.links_of_unknown_waves:,} links belong to waves no longer in the config "
            "(kept: their codes may have been texted)",
        ),
    ]
