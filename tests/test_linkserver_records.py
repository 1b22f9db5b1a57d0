"""Click ids: UUIDv7, unique, ordered by time, so the unique index grows at its right edge."""

from __future__ import annotations

import time
import uuid

from campaign_pipelines.linkserver.records import new_click_uuid


def test_new_click_uuid_is_a_version_7_rfc_9562_uuid_carrying_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(new_click_uuid())
    after = time.time_ns() // 1_000_000

    assert (value.version, value.variant) == (7, uuid.RFC_4122)
    assert before <= value.int >> 80 <= after


def test_new_click_uuids_are_unique_and_ordered_by_millisecond():
    ids = [new_click_uuid() for _ in range(50_000)]
    time.sleep(0.002)
    later = new_click_uuid()

    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert later > max(ids)
    # The 74 random bits vary: the low half of the ids is not constant within a millisecond.
    assert len({i[-16:] for i in ids}) == len(ids)
