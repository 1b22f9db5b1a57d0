"""Routing rules on the NC demo routes: each voter's destination, each with its right value."""

import pandas as pd
import pytest

from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.routing.rules import choose, publish_routes
from campaign_pipelines.routing.voters import route_voters, voter_contexts, zip_lookup

LINKS = load_config(BUNDLED_DEMO_CONFIG).links
ROUTES, URLS = publish_routes(LINKS)
BY_NAME = {r.route: r for r in ROUTES}
CATALOG = {"polling_place:001-06W": "https://127.0.0.1/p/x"}
KNOWN = {**URLS, **CATALOG}.__contains__


def _url(route: str, context: dict, channel: str = "sms") -> str:
    choice = choose(BY_NAME[route], context, channel=channel, known=KNOWN)
    return {**URLS, **CATALOG}[choice.destination_key]


def test_rules_cd4_voter_gets_the_district_4_candidate_page():
    assert _url("candidate", {"congressional": "4"}) == "https://www.example.org/candidates/nc-04"


def test_rules_triangle_county_voter_gets_the_triangle_volunteer_page():
    durham = "37063"
    assert (
        _url("volunteer", {"county_fips": durham}) == "https://www.example.org/volunteer/triangle"
    )


@pytest.mark.parametrize(
    ("route", "context", "reason"),
    [
        ("volunteer", {"county_fips": "37007"}, "no destination for county_fips 37007"),
        ("candidate", {}, "house_candidate: voter has no congressional"),
        ("polling_place", {"precinct_key": "183-01-07"}, "no destination for precinct_key 183-0"),
    ],
)  # fmt: skip
def test_rules_fallback_keeps_its_reason(route, context, reason):
    choice = choose(BY_NAME[route], context, channel="sms", known=KNOWN)
    assert choice.is_fallback and choice.rule == "fallback"
    assert reason in choice.reason
    assert URLS[choice.destination_key] == LINKS.routes[route].fallback


def test_rules_channel_variant_applies_only_to_its_channel():
    assert _url("donate", {"state": "NC"}, channel="mail") == "https://donate.example.org/mail"
    assert _url("donate", {"state": "NC"}, channel="sms") == "https://donate.example.org/nc"


def test_rules_without_a_clock_skip_time_windows():
    choice = choose(
        BY_NAME["polling_place"], {"precinct_key": "001-06W"}, channel="sms", known=KNOWN
    )
    assert (choice.destination_key, choice.rule) == ("polling_place:001-06W", "polling_place")


def test_rules_voter_routes_and_zip_lookup_from_frames():
    voters = pd.DataFrame({
        "voter_id": ["A", "B", "C"], "zip_code": ["27601", "27601", "28202"],
        "timezone": ["America/New_York"] * 3, "state": ["NC"] * 3,
        "county_fips": ["37183", "37183", "37119"], "precinct_key": ["183-01", None, "119-1"],
    })  # fmt: skip
    assignments = pd.DataFrame({"voter_id": ["A", "B", "C"], "layer": "congressional",
                                "district_id": ["4", "2", "12"]})  # fmt: skip
    attributes = [a for r in ROUTES for a in r.attributes()]
    contexts = voter_contexts(voters, assignments, attributes)

    routes = route_voters(contexts, ROUTES, KNOWN).set_index(["voter_id", "route"])
    zips = zip_lookup(contexts, attributes).set_index(["zip_code", "attribute"])

    assert routes.loc[("A", "candidate"), "destination_key"] == "page:candidate:house_candidate:4"
    assert (
        routes.loc[("C", "volunteer"), "destination_key"]
        == "page:volunteer:regional_signup:Charlotte"
    )
    assert (
        routes.loc[("B", "polling_place"), "fallback_reason"]
        == "polling_place: voter has no precinct_key"
    )
    assert len(routes) == 3 * len(ROUTES)
    # Two voters in 27601, districts 4 and 2: the tie goes to the smaller id, half the ZIP each.
    assert tuple(zips.loc[("27601", "congressional"), ["value", "share"]]) == ("2", 0.5)
    assert zips.loc[("28202", "county_fips"), "value"] == "37119"
    assert ("27601", "precinct_key") not in zips.index
