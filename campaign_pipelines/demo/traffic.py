"""Simulated people and machines hitting the real link server over HTTP, and STOP replies.

Machines come first, as they do in life: link-preview fetchers and carrier scanners fetch a link
seconds after the text is delivered, and some send HEAD probes. People tap later, from phone
browsers; a few tap twice. The demo compresses "hours later" into a pause just longer than the
link server's too-soon threshold. A few voters reply STOP through the local Twilio.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

PHONE_BROWSERS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918U) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
)
PREVIEW_FETCHERS = (
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
)
_SENT_LINKS = text(
    "SELECT s.voter_id, s.to_phone, l.code, l.route FROM sends s"
    " JOIN links l ON l.wave_id = s.wave_id AND l.voter_id = s.voter_id AND l.channel = 'sms'"
    " WHERE s.wave_id = :wave AND s.state = 'sent' ORDER BY s.voter_id, l.route"
)


@dataclass(frozen=True)
class TrafficShares:
    preview: float = 0.35  # delivered messages whose links a preview fetcher opens
    head_probe: float = 0.05
    person: float = 0.22  # voters who tap a link
    double_tap: float = 0.15  # of those, who tap again within a few seconds
    stop: float = 0.01


def sent_links(engine: Engine, wave_id: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(_SENT_LINKS, {"wave": wave_id}).mappings().all())


def drive_traffic(
    links: pd.DataFrame,
    *,
    link_base_url: str,
    reply: Callable[[str, str], None],
    pause_seconds: float,
    seed: int,
    shares: TrafficShares = TrafficShares(),
    progress: Callable[[str, int], Callable[[], None]] | None = None,
) -> Counter:
    """Send the machine requests, wait ``pause_seconds``, then the people; return counts."""
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    if links.empty:
        return counts
    voters = links["voter_id"].unique()
    first_link = links.drop_duplicates("voter_id").set_index("voter_id")
    machine = [
        ("GET", code, PREVIEW_FETCHERS[i % len(PREVIEW_FETCHERS)])
        for i, code in enumerate(first_link["code"][rng.random(len(voters)) < shares.preview])
    ]
    machine += [
        ("HEAD", code, PHONE_BROWSERS[0])
        for code in first_link["code"][rng.random(len(voters)) < shares.head_probe]
    ]
    _fire(machine, link_base_url, counts, "machine", progress)

    time.sleep(pause_seconds)
    tapping = links[links["voter_id"].isin(voters[rng.random(len(voters)) < shares.person])]
    tapping = tapping.groupby("voter_id").sample(1, random_state=seed)
    people = [
        ("GET", code, PHONE_BROWSERS[i % len(PHONE_BROWSERS)])
        for i, code in enumerate(tapping["code"])
    ]
    again = [
        p for p, r in zip(people, rng.random(len(people)), strict=True) if r < shares.double_tap
    ]
    _fire(people + again, link_base_url, counts, "person", progress)

    stoppers = first_link["to_phone"][rng.random(len(voters)) < shares.stop]
    for phone in stoppers:
        reply(phone, "STOP")
    counts["stop_replies"] = len(stoppers)
    return counts


def _fire(requests_, base_url: str, counts: Counter, label: str, progress) -> None:
    tick = progress(f"{label} requests", len(requests_)) if progress else (lambda: None)
    with httpx.Client(base_url=base_url, timeout=10.0) as client:

        def one(request: tuple[str, str, str]) -> int:
            method, code, agent = request
            response = client.request(method, f"/{code}", headers={"user-agent": agent})
            tick()
            return response.status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            for status in pool.map(one, requests_):
                counts[f"{label}_{status}"] += 1


def statuses(counts: Counter, label: str) -> Iterable[tuple[int, int]]:
    return sorted(
        (int(k.rsplit("_", 1)[1]), v) for k, v in counts.items() if k.startswith(f"{label}_")
    )
