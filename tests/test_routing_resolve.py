"""Click-time resolution: time windows at their boundary instants, ZIP landing, safety."""

from datetime import UTC, datetime, timedelta

import pytest

from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import BUNDLED_DEMO_CONFIG
from campaign_pipelines.routing.resolve import Policy, Resolution, Resolver, is_safe, prepare_link
from campaign_pipelines.routing.rules import publish_routes
from campaign_pipelines.routing.urls import allow_list

LINKS = load_config(BUNDLED_DEMO_CONFIG).links
ROUTES, URLS = publish_routes(LINKS)
BASE = "http://127.0.0.1:8080"
PAGE = f"{BASE}/p/polling_place:001-06W"
EARLY = f"{BASE}/p/early_vote_site:001-06W"
POLICY = Policy(BASE, allow_list(LINKS.allowed_domains), "America/New_York", "NC")
ZIPS = {"27601": {"congressional": "4", "county_fips": "37183", "state": "NC",
                  "timezone": "America/New_York"}}  # fmt: skip
RESOLVER = Resolver(
    {r.route: r for r in ROUTES},
    {**URLS, "polling_place:001-06W": PAGE, "early_vote_site:001-06W": EARLY},
    POLICY, ZIPS, frozenset({"congressional", "county_fips", "state"}),
)  # fmt: skip
MICRO = timedelta(microseconds=1)


def _voter_link(zone: str, route: str = "polling_place") -> dict:
    return {
        "link_id": 1, "code": "AbCdEfGh1", "wave_id": "gotv-1", "voter_id": "V1",
        "route": route, "channel": "sms", "variant": "a", "placement": None,
        "destination_key": "polling_place:001-06W", "destination_url": PAGE,
        "utm": {"utm_source": "sms", "utm_campaign": "gotv-1"}, "timezone": zone,
        "status": "active", "expires_at": None,
        "context": {"precinct_key": "001-06W", "congressional": "4"},
    }  # fmt: skip


def _rule(zone: str, instant: datetime) -> str:
    return RESOLVER.resolve(_voter_link(zone), now=instant).rule


@pytest.mark.parametrize(
    ("zone", "polls_close"),
    [
        # 19:30 on 3 Nov 2026: EST (UTC-5) in New York, MST (UTC-7, no DST) in Phoenix.
        ("America/New_York", datetime(2026, 11, 4, 0, 30, tzinfo=UTC)),
        ("America/Phoenix", datetime(2026, 11, 4, 2, 30, tzinfo=UTC)),
    ],
)
def test_resolve_switches_to_results_when_polls_close_in_the_voters_zone(zone, polls_close):
    assert _rule(zone, polls_close - MICRO) == "polling_place"
    assert _rule(zone, polls_close) == "results"
    result = RESOLVER.resolve(_voter_link(zone), now=polls_close)
    assert result.url == "https://www.example.org/results?utm_source=sms&utm_campaign=gotv-1"


@pytest.mark.parametrize(
    ("zone", "opens"),
    [
        # 08:00 on 15 Oct 2026: EDT (UTC-4) in New York, MST (UTC-7) in Phoenix.
        ("America/New_York", datetime(2026, 10, 15, 12, 0, tzinfo=UTC)),
        ("America/Phoenix", datetime(2026, 10, 15, 15, 0, tzinfo=UTC)),
    ],
)
def test_resolve_switches_to_the_early_voting_site_when_early_voting_opens(zone, opens):
    assert _rule(zone, opens - MICRO) == "make_a_plan"
    assert _rule(zone, opens) == "early_voting_site"
    assert RESOLVER.resolve(_voter_link(zone), now=opens).url.startswith(EARLY + "?")


def test_resolve_same_instant_differs_by_zone():
    instant = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)  # 20:00 in New York, 18:00 in Phoenix
    assert _rule("America/New_York", instant) == "results"
    assert _rule("America/Phoenix", instant) == "polling_place"


def _shared(route: str, channel: str) -> dict:
    link = _voter_link("America/New_York", route)
    return {**link, "voter_id": None, "wave_id": None, "placement": "tv-vote-spot",
            "channel": channel, "timezone": None, "context": {"state": "NC"}}  # fmt: skip


def test_resolve_zip_on_the_landing_page_lands_on_that_districts_page():
    link, now = _shared("candidate", "tv"), datetime(2026, 10, 1, tzinfo=UTC)
    assert RESOLVER.resolve(link, now=now) == Resolution(None, "zip_required", needs_zip=True)
    landed = RESOLVER.resolve(link, now=now, zip_code="27601-1234")
    assert landed.url.startswith("https://www.example.org/candidates/nc-04?")
    assert landed.rule == "house_candidate"
    unknown = RESOLVER.resolve(link, now=now, zip_code="99999")
    assert (unknown.url.split("?")[0], unknown.rule) == (
        "https://www.example.org/candidates",
        "fallback",
    )
    assert RESOLVER.resolve(link, now=now, zip_code="2760").needs_zip


def test_resolve_shared_link_that_needs_no_district_asks_no_zip():
    result = RESOLVER.resolve(_shared("donate", "mail"), now=datetime(2026, 10, 1, tzinfo=UTC))
    assert result.url.startswith("https://donate.example.org/mail?")


def test_resolve_link_row_without_context_uses_its_minted_destination():
    link = _voter_link("America/New_York")
    del link["context"]
    result = RESOLVER.resolve(link, now=datetime(2026, 11, 3, 12, tzinfo=UTC))
    assert (result.url.split("?")[0], result.rule) == (PAGE, "minted")


def test_resolve_disabled_and_expired_links_go_nowhere():
    now = datetime(2026, 10, 1, tzinfo=UTC)
    disabled = {**_voter_link("America/New_York"), "status": "disabled"}
    expired = {**_voter_link("America/New_York"), "expires_at": now}
    assert RESOLVER.resolve(disabled, now=now) == Resolution(None, "link_disabled")
    assert RESOLVER.resolve(expired, now=now) == Resolution(None, "link_expired")


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        (PAGE, True),
        (PAGE + "?utm_source=sms", True),
        (f"{BASE}/p/x/../../admin", False),
        (f"{BASE}/p/", False),
        (f"{BASE}/other", False),
        ("http://example.org/", False),
        ("https://www.example.org/a", True),
        ("https://evil.example.net/", False),
    ],
)
def test_resolve_only_safe_urls_pass(url, safe):
    assert is_safe(url, POLICY) is safe


def test_resolve_refuses_a_naive_clock():
    with pytest.raises(ValueError, match="timezone-aware"):
        RESOLVER.resolve(_voter_link("America/New_York"), now=datetime(2026, 11, 3, 19, 30))


@pytest.mark.parametrize("zone", ["America/New_York", "America/Phoenix"])
def test_resolve_gives_the_same_answer_for_a_row_prepared_once_for_the_link_cache(zone):
    instants = [datetime(2026, 11, 3, h, tzinfo=UTC) for h in range(0, 24, 3)]
    raw = _voter_link(zone)
    prepared = prepare_link(_voter_link(zone))

    assert prepared["utm"] == (("utm_source", "sms"), ("utm_campaign", "gotv-1"))
    for instant in instants:
        assert RESOLVER.resolve(prepared, now=instant) == RESOLVER.resolve(raw, now=instant)
    # Resolving never changes the cached row it was given.
    assert prepared == prepare_link(_voter_link(zone))
