"""Repeats across the link server's workers: the same visitor's second tap, whichever worker or
replica answered it, is a repeat in attribution, by the server's own rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from campaign_pipelines.attribution.clicks import cross_worker_repeats

T0 = datetime(2026, 10, 30, 14, 0, tzinfo=UTC)
COLUMNS = ["link_id", "ip_hash", "user_agent", "clicked_at", "server_is_human"]


def frame(*clicks: tuple) -> pd.DataFrame:
    """Clicks as (seconds after T0, link, ip hash, user agent, server took it for a person)."""
    rows = [
        (link, ip, agent, T0 + timedelta(seconds=seconds), human)
        for seconds, link, ip, agent, human in clicks
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


NONE = pd.DataFrame(columns=COLUMNS[:4])


def test_a_second_tap_within_the_window_is_a_repeat_and_after_it_is_not():
    clicks = frame((0, 1, "ip", "ua", True), (10, 1, "ip", "ua", True), (45, 1, "ip", "ua", True))

    assert cross_worker_repeats(clicks, NONE, window_seconds=30).tolist() == [False, True, False]


def test_a_repeat_does_not_restart_the_window():
    # As on the server: only a person's click is remembered, so 35 s counts from the first.
    clicks = frame((0, 1, "ip", "ua", True), (20, 1, "ip", "ua", True), (35, 1, "ip", "ua", True))

    assert cross_worker_repeats(clicks, NONE, window_seconds=30).tolist() == [False, True, False]


def test_another_client_link_or_agent_is_not_a_repeat_but_no_address_is_one_client():
    clicks = frame(
        (0, 1, "ip", "ua", True), (1, 1, "other-ip", "ua", True), (2, 2, "ip", "ua", True),
        (3, 1, "ip", "other-ua", True), (4, 3, None, None, True), (5, 3, None, None, True),
    )  # fmt: skip

    assert cross_worker_repeats(clicks, NONE, window_seconds=30).tolist() == [
        False, False, False, False, False, True,
    ]  # fmt: skip


def test_a_machine_is_no_anchor_and_is_never_marked():
    clicks = frame((0, 1, "ip", "ua", False), (5, 1, "ip", "ua", True), (6, 1, "ip", "ua", False))

    assert cross_worker_repeats(clicks, NONE, window_seconds=30).tolist() == [False, False, False]


def test_a_person_click_ingested_earlier_anchors_the_batch():
    earlier = frame((-10, 1, "ip", "ua", True))[COLUMNS[:4]]
    clicks = frame((5, 1, "ip", "ua", True), (30, 1, "ip", "ua", True))

    assert cross_worker_repeats(clicks, earlier, window_seconds=30).tolist() == [True, False]


def test_a_zero_window_finds_nothing():
    clicks = frame((0, 1, "ip", "ua", True), (0, 1, "ip", "ua", True))

    assert cross_worker_repeats(clicks, NONE, window_seconds=0).tolist() == [False, False]
