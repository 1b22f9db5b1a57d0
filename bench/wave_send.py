"""Benchmark: send a wave to the local fake Twilio, uncapped, capped, and through a crash drill.

    python bench/wave_send.py --messages 100000 --capped-messages 10000 --kills 10

A throwaway database on the project's PostgreSQL gets a wave of synthetic rendered messages
(``wave_messages`` and ``links`` rows, written with COPY) and the product's sender
(``campaign_pipelines.messaging.sender.WaveSender``) sends it with the official ``twilio`` client
to ``campaign fake-twilio`` running in its own process. Numbers are in area codes 960-969, which
NANPA holds in reserve, so none can belong to anyone; the fake refuses a seeded 0.5% as
unsubscribed (21610) and 0.2% as invalid (21211), and 1% of the numbers are on the suppression
list or have replied STOP before the run.

1. uncapped: ``--messages`` texts, no pacing, texting hours open all day: messages/second.
2. capped: ``--capped-messages`` texts paced at ``--cap`` segments/second (one segment each)
   against a fake that answers 429 above that rate: achieved rate over the cap.
   Rates count messages submitted (Twilio's answer, accepted or refused, is what a cap
   limits); the accepted-only rate is printed beside it.
3. crash drill: ``--messages`` texts to voters in seven US time zones under the real 08:00-21:00
   hours; a sender subprocess is killed with SIGKILL at a random moment after it starts sending,
   ``--kills`` times, then run to the end. The fake's received count per number gives duplicates;
   its own acceptance timestamps give texts sent outside the voter's hours.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import psycopg
from psycopg import sql as pgsql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from campaign_pipelines.db import migrate
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.server import ensure_database, libpq_url, server_url
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.fake_twilio import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN
from campaign_pipelines.linkserver.process import free_port
from campaign_pipelines.messaging.policy import SendPolicy
from campaign_pipelines.messaging.queries import analyze
from campaign_pipelines.messaging.sender import WaveSender
from campaign_pipelines.messaging.twilio_gateway import TwilioGateway
from campaign_pipelines.rules.quiet_hours import DEFAULT_WINDOW, TextingWindow

SERVICE = "MG" + "0" * 32
ALL_DAY = TextingWindow(start=datetime.min.time(), end=datetime.max.time())
ZONES = [  # zone, state: the drill's voters are spread over these
    ("America/New_York", "NC"),
    ("America/Chicago", "IL"),
    ("America/Denver", "CO"),
    ("America/Phoenix", "AZ"),
    ("America/Los_Angeles", "CA"),
    ("America/Anchorage", "AK"),
    ("Pacific/Honolulu", "HI"),
]
SUPPRESSED_SHARE = 0.01
FAULTS = {"unsubscribed_fraction": 0.005, "invalid_fraction": 0.002, "seed": 7}


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.drill_worker:
        _drill_worker(*args.drill_worker, workers=args.workers)
        return
    logging.basicConfig(level=logging.WARNING)
    random.seed(args.seed)

    url = _scratch_database()
    port = free_port()
    fake = _start_fake(port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        engine = engine_for(url)
        _configure_fake(base_url, rate_limit=None)
        uncapped = _throughput(engine, base_url, "uncapped", args.messages, None, args.workers)
        _configure_fake(base_url, rate_limit=args.cap)
        capped = _throughput(engine, base_url, "capped", args.capped_messages, args.cap,
                             args.workers)  # fmt: skip
        _configure_fake(base_url, rate_limit=None)
        drill = _crash_drill(engine, url, base_url, args.messages, args.kills, args.workers)
    finally:
        fake.send_signal(signal.SIGINT)
        fake.wait(timeout=30)
        engine_for(url).dispose()
        _drop_database(url)

    figures = {
        "messages": args.messages,
        "uncapped_messages_per_second": round(uncapped["rate"], 1),
        "uncapped_accepted_per_second": round(uncapped["accepted"], 1),
        "cap_messages_per_second": args.cap,
        "capped_messages": args.capped_messages,
        "capped_messages_per_second": round(capped["rate"], 2),
        "capped_accepted_per_second": round(capped["accepted"], 2),
        "achieved_over_cap": round(capped["rate"] / args.cap, 4),
        "capped_429_retries": capped["throttled"],
        "kills": drill["kills"],
        "drill_sent": drill["sent"],
        "drill_deferred": drill["deferred"],
        "drill_failed": drill["failed"],
        "drill_resolved_by_lookup": drill["resolved"],
        "missing": drill["missing"],
        "duplicates": drill["duplicates"],
        "sent_to_suppressed": drill["sent_to_suppressed"],
        "sent_outside_window": drill["sent_outside_window"],
    }
    print(json.dumps(figures))


def _throughput(engine, base_url, wave_id, count, cap, workers) -> dict:
    _seed_wave(engine, wave_id, count, zones=ZONES[:1])
    _reset_fake(base_url)
    policy = _policy(wave_id, cap, workers, hours=ALL_DAY)
    started = time.perf_counter()
    report = WaveSender(engine, _gateway(base_url), policy).run()
    wall = time.perf_counter() - started
    label = f"capped at {cap}/s" if cap else "uncapped"
    print(
        f"{label:>16}: {report.calls:,} requests in {report.send_seconds:.1f} s of sending "
        f"({wall:.1f} s with planning): {report.requests_per_second:,.1f} messages/s submitted, "
        f"{report.achieved_per_second:,.1f}/s accepted ({report.sent:,}); "
        f"{sum(report.failed.values()):,} refused, {report.throttled:,} 429 retries"
    )
    return {
        "rate": report.requests_per_second,
        "accepted": report.achieved_per_second,
        "throttled": report.throttled,
    }


def _crash_drill(engine, url, base_url, count, kills, workers) -> dict:
    wave_id = "drill"
    phones = _seed_wave(engine, wave_id, count, zones=ZONES)
    suppressed = _suppress_some(engine, phones)
    _reset_fake(base_url)

    # Kill points spread over the wave: after a random share of it has been sent, plus a random
    # fraction of a second so the kill can land anywhere in a batch (claim, calls, record).
    targets = sorted(random.uniform(0.0, 0.8) * count for _ in range(kills))
    resolved = killed = 0
    for run, target in enumerate([*targets, None], start=1):
        worker = subprocess.Popen(
            [sys.executable, __file__, "--workers", str(workers), "--drill-worker", url, base_url,
             wave_id],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if target is not None:
            _wait_until_sent(engine, wave_id, int(target), worker)
            time.sleep(random.uniform(0.0, 0.5))
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                killed += 1
        _, stderr = worker.communicate(timeout=3600)
        resolved += sum(int(n) for n in re.findall(r"(\d+) sends left mid-call", stderr))
        if target is None and worker.returncode != 0:
            raise SystemExit(f"the final drill run failed:\n{stderr[-3000:]}")
        print(f"  drill run {run}: exit {worker.returncode}, {_sent(engine, wave_id):,} sent")

    received = _received(base_url)
    by_to = Counter(m["to"] for m in received)
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                text("SELECT state, count(*) FROM sends WHERE wave_id = :w GROUP BY state"),
                {"w": wave_id},
            ).all()
        )
        sent_rows = conn.execute(
            text("SELECT to_phone, message_sid FROM sends WHERE wave_id = :w AND state = 'sent'"),
            {"w": wave_id},
        ).all()
    accepted_sids = {m["sid"] for m in received}
    missing = sum(1 for _, sid in sent_rows if sid not in accepted_sids)
    zones = phones.set_index("to_phone")["timezone"]
    outside = sum(1 for m in received if not _inside_hours(m["date_created"], zones[m["to"]]))
    print(
        f"    crash drill: {killed} kills, {len(received):,} texts received, "
        f"{sum(1 for n in by_to.values() if n > 1)} numbers texted twice, states {states}"
    )
    return {
        "kills": killed,
        "sent": states.get("sent", 0),
        "deferred": states.get("deferred", 0),
        "failed": states.get("failed", 0),
        "resolved": resolved,
        "missing": missing + states.get("submitting", 0) + states.get("planned", 0),
        "duplicates": sum(n - 1 for n in by_to.values() if n > 1),
        "sent_to_suppressed": sum(by_to[p] for p in suppressed),
        "sent_outside_window": outside,
    }


def _drill_worker(url: str, base_url: str, wave_id: str, *, workers: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    policy = _policy(wave_id, None, workers, hours=DEFAULT_WINDOW)
    WaveSender(engine_for(url), _gateway(base_url), policy).run()


def _policy(wave_id, cap, workers, *, hours) -> SendPolicy:
    now = datetime.now(UTC)
    return SendPolicy(
        wave_id=wave_id,
        messaging_service_sid=SERVICE,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=2),
        segments_per_second=cap,
        campaign_timezone="America/New_York",
        default_hours=hours,
        batch_size=max(20, min(500, cap or 500)),
        workers=workers,
        settle_seconds=0.5,
    )


def _gateway(base_url: str) -> TwilioGateway:
    return TwilioGateway(LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, base_url=base_url)


def _seed_wave(engine, wave_id: str, count: int, *, zones) -> pd.DataFrame:
    """``count`` one-segment messages with a link each, spread over ``zones``."""
    prefix = {"uncapped": 0, "capped": 1, "drill": 2}[wave_id]
    numbers = [f"+196{prefix}{i:07d}" for i in range(count)]
    voter_ids = [f"{wave_id}-{i:07d}" for i in range(count)]
    codes = [secrets.token_urlsafe(7)[:9] for _ in range(count)]
    zone, state = zip(*(zones[i % len(zones)] for i in range(count)), strict=True)
    with engine.begin() as conn:
        start = conn.execute(text("SELECT coalesce(max(link_id), 0) FROM links")).scalar_one()
        link_ids = list(range(start + 1, start + count + 1))
        copy_dataframe(conn, "links", pd.DataFrame({
            "link_id": link_ids, "code": codes, "wave_id": wave_id, "voter_id": voter_ids,
            "route": "polling_place", "channel": "sms",
        }))  # fmt: skip
        copy_dataframe(conn, "wave_messages", pd.DataFrame({
            "wave_id": wave_id, "voter_id": voter_ids, "variant": "A", "link_id": link_ids,
            "to_phone": numbers,
            "body": [f"Polls are open until 7:30. Find yours: https://go.example.org/{c}"
                     for c in codes],
            "encoding": "GSM-7", "segments": 1, "timezone": zone, "home_state": state,
        }))  # fmt: skip
        analyze(conn, "wave_messages")  # as the wave_messages asset does after its COPY
    return pd.DataFrame({"to_phone": numbers, "timezone": zone})


def _suppress_some(engine, phones: pd.DataFrame) -> list[str]:
    chosen = phones["to_phone"].sample(frac=SUPPRESSED_SHARE, random_state=3).tolist()
    half = len(chosen) // 2
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO suppressions (phone_e164, reason, source) VALUES (:p, 'opt_out', "
                 "'import_bench')"), [{"p": p} for p in chosen[:half]],
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO opt_outs (phone_e164, opted_out, source) VALUES (:p, true, 'reply')"),
            [{"p": p} for p in chosen[half:]],
        )
    return chosen


def _wait_until_sent(engine, wave_id: str, target: int, worker: subprocess.Popen) -> None:
    """Until ``target`` texts of the wave are sent (and this worker has sent one at least)."""
    target = max(target, _sent(engine, wave_id) + 1)
    deadline = time.monotonic() + 600
    while _sent(engine, wave_id) < target and worker.poll() is None:
        if time.monotonic() > deadline:
            raise SystemExit("the drill worker made no progress for ten minutes")
        time.sleep(0.05)


def _sent(engine, wave_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM sends WHERE wave_id = :w AND state = 'sent'"),
            {"w": wave_id},
        ).scalar_one()


def _inside_hours(date_created: str, zone: str) -> bool:
    local = parsedate_to_datetime(date_created).astimezone(ZoneInfo(zone))
    return DEFAULT_WINDOW.contains(local.time())


def _start_fake(port: int) -> subprocess.Popen:
    code = (
        "from campaign_pipelines.fake_twilio import run; "
        f"run(port={port}, queued_delay=0.0, sent_delay=0.0, delivered_delay=0.0)"
    )
    fake = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=1, trust_env=False)
            return fake
        except httpx.HTTPError:
            time.sleep(0.2)
    fake.kill()
    raise SystemExit("the fake Twilio server did not start")


def _configure_fake(base_url: str, *, rate_limit: float | None) -> None:
    burst = None if rate_limit is None else int(rate_limit)
    settings = {"rate_limit": rate_limit, "burst": burst, "rules": FAULTS}
    response = httpx.put(f"{base_url}/_fake/config", json=settings, trust_env=False)
    response.raise_for_status()


def _reset_fake(base_url: str) -> None:
    httpx.post(f"{base_url}/_fake/reset", trust_env=False).raise_for_status()


def _received(base_url: str) -> list[dict]:
    response = httpx.get(f"{base_url}/_fake/messages", timeout=300, trust_env=False)
    response.raise_for_status()
    return [m for m in response.json()["messages"] if m["direction"] == "outbound-api"]


def _scratch_database() -> str:
    name = f"campaign_bench_{os.getpid()}_{secrets.token_hex(3)}"
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    migrate.upgrade(url)
    return url


def _drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = libpq_url(parsed.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                pgsql.Identifier(parsed.database)
            )
        )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--capped-messages", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=100, help="segments (= messages) per second")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="concurrent API requests")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drill-worker", nargs=3, metavar=("URL", "BASE_URL", "WAVE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
