"""Destination catalog: every place a campaign link can land, and the rules that choose one."""

import pandas as pd
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sqlalchemy import text

from campaign_pipelines.assets._checks import OWNERS, check_result, plain_result
from campaign_pipelines.assets._schema import column_schema
from campaign_pipelines.catalog.build import catalog_sites, page_rows, read_sources
from campaign_pipelines.catalog.entries import POLLING_PLACE, FeedError
from campaign_pipelines.catalog.match import match_rates
from campaign_pipelines.config.links import LinksConfig
from campaign_pipelines.db.schema import destinations as destinations_table
from campaign_pipelines.db.session import transaction
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.routing.publish import publish_catalog
from campaign_pipelines.routing.resolve import Policy, is_safe
from campaign_pipelines.routing.rules import publish_routes

CATALOG_CHECKS = [
    AssetCheckSpec("precincts_have_a_polling_place_or_fallback", asset="destination_catalog",
                   blocking=True, description="Every precinct with voters has a polling place "
                   "from a feed, or the polling-place route has a safe explicit fallback."),
    AssetCheckSpec("destinations_are_allowlisted_https", asset="destination_catalog",
                   blocking=True, description="Every destination is https on an allow-listed "
                   "domain, or the campaign's own polling-place page."),
]  # fmt: skip

_PRECINCTS = text(
    "SELECT precinct_key, min(county_fips) AS county_fips, min(county_name) AS county_name,"
    " min(precinct_code) AS precinct_code, min(precinct_name) AS precinct_name,"
    " count(*) AS voters FROM voters WHERE precinct_key IS NOT NULL GROUP BY precinct_key"
    " ORDER BY precinct_key"
)


@asset(
    deps=["voters"],
    group_name="routing",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=CATALOG_CHECKS,
)
def destination_catalog(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Where links can send people: each voter precinct's election-day polling place and
    early-voting site (from the NCSBE list and Voting Information Project feeds, matched to the
    precincts voters live in by code or by name), and the donate, volunteer and candidate pages
    the campaign's routes name. The link server reads this table on every click, so fixing a
    polling place here re-routes links already sent."""
    config = campaign.load()
    links = config.links
    context.log.info("reading %d polling-place sources", len(links.polling_places.sources))
    try:
        entries = read_sources(links, lambda raw: campaign.resolve(config, raw))
    except (FeedError, OSError) as e:
        raise Failure(description=str(e)) from e

    published, page_urls = publish_routes(links)
    with transaction(postgres.engine()) as conn:
        precincts = pd.read_sql(_PRECINCTS, conn)
        sites, matches = catalog_sites(precincts, entries, links)
        catalog = pd.concat([sites, page_rows(page_urls)], ignore_index=True)
        publish_catalog(
            conn,
            catalog,
            published,
            base_url=links.base_url,
            allowed_domains=links.allowed(),
            timezone=config.campaign.timezone,
            state=config.campaign.state,
        )

    rates = match_rates(matches[POLLING_PLACE])
    context.log.info(
        "destination catalog: %d destinations; %d of %d voter precincts have a polling place",
        len(catalog),
        int((rates["precincts"] - rates["fallback"]).sum()),
        len(precincts),
    )
    return MaterializeResult(
        metadata={
            **_metadata(catalog, rates, len(entries)),
            "dagster/column_schema": column_schema(destinations_table),
        },
        check_results=_checks(catalog, rates, links),
    )


def _metadata(catalog: pd.DataFrame, rates: pd.DataFrame, sources: int) -> dict:
    shown = rates.assign(match_rate=rates["match_rate"].map("{:.1%}".format))
    return {
        "dagster/row_count": MetadataValue.int(len(catalog)),
        "sources": MetadataValue.int(sources),
        "by_kind": MetadataValue.json(catalog["kind"].value_counts().sort_index().to_dict()),
        "polling_place_match_by_county": MetadataValue.md(shown.to_markdown(index=False)),
        "precincts_matched_by_code": MetadataValue.int(int(rates["by_code"].sum())),
        "precincts_matched_by_name": MetadataValue.int(int(rates["by_name"].sum())),
        "precincts_on_fallback": MetadataValue.int(int(rates["fallback"].sum())),
        "voters_on_fallback": MetadataValue.int(int(rates["fallback_voters"].sum())),
    }


def _checks(catalog: pd.DataFrame, rates: pd.DataFrame, links: LinksConfig) -> list:
    policy = Policy(links.base_url, links.allowed(), "UTC")
    judged = catalog[["destination_key", "url"]].assign(
        safe=[isinstance(u, str) and is_safe(u, policy) for u in catalog["url"]]
    )
    unmatched = int(rates["fallback"].sum())
    routes = [name for name, r in links.routes.items()
              if any(rule.catalog == POLLING_PLACE for rule in r.rules)]  # fmt: skip
    fallbacks = {name: links.routes[name].fallback for name in routes}
    fallback_ok = all(is_safe(url, policy) for url in fallbacks.values())
    precincts = int(rates["precincts"].sum())
    return [
        plain_result(
            "precincts_have_a_polling_place_or_fallback",
            unmatched == 0 or (bool(routes) and fallback_ok),
            f"{precincts - unmatched:,} of {precincts:,} precincts with voters matched a polling "
            f"place; {unmatched:,} use the explicit fallback of route(s) {routes or 'none'}",
            metadata={"fallbacks": MetadataValue.json(fallbacks)},
        ),
        check_result(
            "destinations_are_allowlisted_https",
            run_expectation(
                judged,
                gxe.ExpectColumnValuesToBeInSet(column="safe", value_set=[True]),
                id_column="destination_key",
            ),
            "destinations that are https on the allow-list or the campaign's own page",
        ),
    ]
