"""Voter routes: for every voter and route, the destination their link will carry."""

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
from campaign_pipelines.db.schema import voter_routes as voter_routes_table
from campaign_pipelines.db.session import transaction
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.routing.publish import destination_urls, replace_voter_routes
from campaign_pipelines.routing.rules import publish_routes
from campaign_pipelines.routing.voters import (
    route_voters,
    unknown_selectors,
    voter_contexts,
    zip_lookup,
)
from campaign_pipelines.rules.quiet_hours import voter_timezones

ROUTE_CHECKS = [
    AssetCheckSpec("every_voter_has_every_route", asset="voter_routes", blocking=True,
                   description="Exactly one row per voter and configured route."),
    AssetCheckSpec("every_voter_route_has_a_destination", asset="voter_routes", blocking=True,
                   description="Every voter route lands on a destination in the catalog."),
    AssetCheckSpec("fallbacks_say_why", asset="voter_routes", blocking=True,
                   description="Every voter on a route's fallback has the reason recorded."),
]  # fmt: skip

_VOTERS = text(
    "SELECT voter_id, state, county_fips, precinct_key, zip_code, latitude, longitude"
    " FROM voters ORDER BY voter_id"
)
_ASSIGNMENTS = text(
    "SELECT voter_id, layer, district_id FROM district_assignments WHERE layer = ANY(:layers)"
)


@asset(
    deps=["district_assignments", "destination_catalog"],
    group_name="routing",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=ROUTE_CHECKS,
    tags={"pii": "true"},
)
def voter_routes(
    context: AssetExecutionContext, postgres: PostgresResource, campaign: CampaignConfigResource
) -> MaterializeResult:
    """Where each voter's link goes on each route (polling place, donate, volunteer,
    candidate…): the rule that chose the destination from the voter's districts, county and
    precinct, or the route's fallback and the reason for it. Rules with a time window (early
    voting, after polls close) are decided when the link is clicked, in the voter's own time
    zone, kept here per voter. Also refreshes the ZIP -> district lookup for shared links."""
    config = campaign.load()
    routes, _ = publish_routes(config.links)
    attributes = list(dict.fromkeys(a for r in routes for a in r.attributes()))
    unknown = unknown_selectors(routes, [layer.name for layer in config.districts.layers])
    if unknown:
        raise Failure(
            description=f"{config.source_path}: routes read {unknown}, which are "
            "neither district layers of this campaign nor state or region"
        )
    context.log.info("routing voters over %d routes reading %s", len(routes), attributes)

    with transaction(postgres.engine()) as conn:
        voters = pd.read_sql(_VOTERS, conn)
        assignments = pd.read_sql(_ASSIGNMENTS, conn, params={"layers": attributes})
        known = destination_urls(conn).keys()
        zones = voter_timezones(voters["latitude"].to_numpy(), voters["longitude"].to_numpy())
        voters["timezone"] = [z or config.campaign.timezone for z in zones]
        contexts = voter_contexts(voters, assignments, attributes)
        frame = route_voters(contexts, routes, known.__contains__)
        zips = zip_lookup(contexts, attributes)
        replace_voter_routes(conn, frame, zips)

    context.log.info(
        "voter routes: %d voters x %d routes = %d rows, %d on a fallback; %d ZIP codes",
        len(voters),
        len(routes),
        len(frame),
        int(frame["is_fallback"].sum()),
        zips["zip_code"].nunique(),
    )
    return MaterializeResult(
        metadata={
            **_metadata(frame, zips),
            "dagster/column_schema": column_schema(voter_routes_table),
        },
        check_results=_checks(frame, len(voters), len(routes), set(known)),
    )


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby(["route", "rule"])
        .agg(voters=("voter_id", "size"), destinations=("destination_key", "nunique"))
        .reset_index()
    )


def _metadata(frame: pd.DataFrame, zips: pd.DataFrame) -> dict:
    reasons = (
        frame.loc[frame["is_fallback"], ["route", "fallback_reason"]]
        .assign(reason=lambda f: f["fallback_reason"].str.replace(r" \S+$", " …", regex=True))
        .value_counts(["route", "reason"])
        .head(20)
        .reset_index(name="voters")
    )
    return {
        "dagster/row_count": MetadataValue.int(len(frame)),
        "by_route_and_rule": MetadataValue.md(_summary(frame).to_markdown(index=False)),
        "fallbacks": MetadataValue.int(int(frame["is_fallback"].sum())),
        "fallback_reasons": MetadataValue.md(reasons.to_markdown(index=False) or "none"),
        "zip_codes": MetadataValue.int(int(zips["zip_code"].nunique())),
    }


def _checks(frame: pd.DataFrame, voters: int, routes: int, known: set[str]) -> list:
    expected = voters * routes
    unique = run_expectation(
        frame, gxe.ExpectCompoundColumnsToBeUnique(column_list=["voter_id", "route"])
    )
    landed = frame[["voter_id", "destination_key"]].assign(
        in_catalog=frame["destination_key"].isin(known)
    )
    unexplained = frame[frame["is_fallback"] & frame["fallback_reason"].isna()]
    return [
        plain_result(
            "every_voter_has_every_route",
            unique.success and len(frame) == expected,
            f"{len(frame):,} rows for {voters:,} voters x {routes} routes (expected "
            f"{expected:,}); {unique.unexpected:,} duplicated (voter, route) pairs",
        ),
        check_result(
            "every_voter_route_has_a_destination",
            run_expectation(
                landed,
                gxe.ExpectColumnValuesToBeInSet(column="in_catalog", value_set=[True]),
                id_column="voter_id",
            ),
            "voter routes whose destination is in the catalog",
        ),
        plain_result(
            "fallbacks_say_why",
            unexplained.empty,
            f"{len(unexplained):,} of {int(frame['is_fallback'].sum()):,} fallbacks lack a reason",
            metadata={"sample_ids": MetadataValue.json(unexplained["voter_id"].head(5).tolist())},
        ),
    ]
