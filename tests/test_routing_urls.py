"""Destination safety and UTM merging: pure functions, real-world URLs."""

import pytest

from campaign_pipelines.routing.urls import (
    allow_list,
    ascii_host,
    destination_problem,
    merge_utm,
)

ALLOWED = allow_list(["example.org", "*.example.org", "bücher.example"])


def test_urls_merge_keeps_one_utm_source_the_links_in_stable_order():
    merged = merge_utm(
        "https://example.org/donate?utm_source=x",
        {"utm_campaign": "gotv", "utm_source": "sms"},
    )
    assert merged == "https://example.org/donate?utm_source=sms&utm_campaign=gotv"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/p?ref=a&amount=25#give",
         "https://example.org/p?ref=a&amount=25&utm_source=sms&utm_medium=text#give"),
        ("https://example.org/p?utm_medium=old&x=1&utm_medium=again",
         "https://example.org/p?utm_medium=text&x=1&utm_source=sms"),
        ("https://example.org/p?q=a+b%20c", "https://example.org/p?q=a+b%20c&utm_source=sms&utm_medium=text"),
        ("https://example.org/p?", "https://example.org/p?utm_source=sms&utm_medium=text"),
    ],
)  # fmt: skip
def test_urls_merge_keeps_existing_query_as_written(url, expected):
    assert merge_utm(url, {"utm_medium": "text", "utm_source": "sms"}) == expected


def test_urls_idn_hosts_compare_in_ascii_form():
    assert ascii_host("Bücher.Example.") == "xn--bcher-kva.example"
    assert destination_problem("https://xn--bcher-kva.example/a", ALLOWED) is None
    assert destination_problem("https://BÜCHER.example/a", ALLOWED) is None
    # Cyrillic "а" in place of Latin "a": a different host, not on the list.
    assert "not on the allow-list" in destination_problem("https://exаmple.org/", ALLOWED)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "only https"),
        ("data:text/html,<script>alert(1)</script>", "only https"),
        ("http://example.org/", "only https"),
        ("https://user:pw@example.org/", "user name or password"),
        ("https://evil.example.net/", "not on the allow-list"),
        ("https://example.org.evil.net/", "not on the allow-list"),
        ("https://example.org\\@evil.net/", "backslashes"),
        ("https://exa mple.org/", "spaces"),
        ("https:///nohost", "no host"),
    ],
)  # fmt: skip
def test_urls_unsafe_destinations_are_refused(url, problem):
    assert problem in destination_problem(url, ALLOWED)


def test_urls_wildcard_admits_subdomains_only():
    assert destination_problem("https://www.example.org/", ALLOWED) is None
    assert destination_problem("https://a.b.example.org/", ALLOWED) is None
    only_sub = allow_list(["*.example.com"])
    assert destination_problem("https://example.com/", only_sub) is not None
