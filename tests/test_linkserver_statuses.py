"""Reducing a batch of status callbacks to one upsert row per message."""

from __future__ import annotations

from datetime import UTC, datetime

from campaign_pipelines.linkserver.statuses import StatusUpdate, latest_per_message

RECEIVED = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def update(sid: str, status: str, rank: int | None, *, error=None, phone=None) -> StatusUpdate:
    return StatusUpdate(sid, status, rank, error, phone, RECEIVED)


def test_latest_per_message_keeps_the_furthest_status_of_each_message():
    batch = [
        update("SM1", "sent", 3),
        update("SM2", "queued", 1),
        update("SM1", "delivered", 4),
        update("SM1", "queued", 1),
    ]

    assert sorted((u.message_sid, u.status) for u in latest_per_message(batch)) == [
        ("SM1", "delivered"),
        ("SM2", "queued"),
    ]


def test_latest_per_message_on_a_tie_the_first_to_arrive_stands():
    batch = [update("SM1", "undelivered", 4, error="30003"), update("SM1", "delivered", 4)]

    (kept,) = latest_per_message(batch)

    assert (kept.status, kept.error_code) == ("undelivered", "30003")


def test_latest_per_message_takes_the_phone_from_any_callback_of_the_message():
    batch = [update("SM1", "queued", 1, phone="+19195550100"), update("SM1", "sent", 3)]

    (kept,) = latest_per_message(batch)

    assert (kept.status, kept.to_phone) == ("sent", "+19195550100")


def test_latest_per_message_leaves_unknown_statuses_to_the_raw_log():
    assert latest_per_message([update("SM1", "warped", None)]) == []
