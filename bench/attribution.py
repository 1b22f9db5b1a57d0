"""Benchmark: build the attribution tables over 10M sends, 2M clicks and 500k actions.

    python bench/attribution.py --sends 10000000 --clicks 2000000 --actions 500000

A fresh database (``bench_attribution`` on the configured or embedded server) is migrated and
filled with ``generate_series``: two waves texting 90% of their voters (the rest held out),
one donate link per text, a delivery report for 95% of texts, link-server clicks (a fifth of them
machines) and actions (one in ten through a link's refcode). Then the product's code paths run
in order, each timed: click ingestion (``assets.clicks.ingest_clicks``), delivery statuses,
touches, funnel, credited actions, holdout counts and the lift table. ``EXPLAIN`` confirms the
per-action and per-click lookups use their indexes. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from campaign_pipelines.assets.attribution import SQL, build_attribution, holdout_counts
from campaign_pipelines.assets.clicks import ingest_clicks
from campaign_pipelines.assets.delivery_statuses import build_delivery_statuses
from campaign_pipelines.attribution.incrementality import lift_table
from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import database_url, libpq_url
from campaign_pipelines.db.session import engine_for

WAVES = 2
HOLDOUT_EVERY = 10  # voter i is held out when i % 10 == 0
T0 = "2026-10-30 14:00:00+00"

GENERATE = {
    "voters": """
        INSERT INTO voters (voter_id, load_id, source_row, first_name, last_name, zip_code,
                            phone_e164, status)
        SELECT 'V' || i, 1, i, 'F' || i, 'L' || i, lpad((27000 + i % 999)::text, 5, '0'),
               '+1919' || lpad(i::text, 7, '0'), 'A'
        FROM generate_series(1, :voters) AS i""",
    "district_assignments": """
        INSERT INTO district_assignments (voter_id, layer, district_id, method, geo_verified)
        SELECT 'V' || i, 'congressional', (1 + i % 14)::text, 'spatial', true
        FROM generate_series(1, :voters) AS i""",
    "wave_audience": """
        INSERT INTO wave_audience (wave_id, voter_id, exclusion, stratum)
        SELECT 'wave-' || w, 'V' || i, CASE WHEN i % 10 = 0 THEN 'holdout' END, (1 + i % 14)::text
        FROM generate_series(1, :waves) AS w, generate_series(1, :voters) AS i""",
    "links": """
        INSERT INTO links (link_id, code, wave_id, voter_id, route, variant)
        SELECT (w - 1) * :voters + i, 'c' || w || '-' || i, 'wave-' || w, 'V' || i, 'donate',
               CASE WHEN i % 2 = 0 THEN 'plan' ELSE 'neighbors' END
        FROM generate_series(1, :waves) AS w, generate_series(1, :voters) AS i
        WHERE i % 10 <> 0""",
    "sends": """
        INSERT INTO sends (wave_id, voter_id, link_id, to_phone, variant, segments, state,
                           message_sid, sent_at)
        SELECT 'wave-' || w, 'V' || i, (w - 1) * :voters + i, '+1919' || lpad(i::text, 7, '0'),
               CASE WHEN i % 2 = 0 THEN 'plan' ELSE 'neighbors' END, 1 + i % 2, 'sent',
               'SM' || w || 'x' || i, CAST(:t0 AS timestamptz) + (w - 1) * interval '2 days'
        FROM generate_series(1, :waves) AS w, generate_series(1, :voters) AS i
        WHERE i % 10 <> 0""",
    "status_callbacks": """
        INSERT INTO status_callbacks (message_sid, status, received_at)
        SELECT message_sid, 'delivered', sent_at + (1 + send_id % 30) * interval '1 second'
        FROM sends WHERE send_id % 20 <> 0""",
    "clicks": """
        INSERT INTO clicks (click_uuid, link_id, clicked_at, method, user_agent, is_human, reason)
        SELECT gen_random_uuid(), l.link, CAST(:t0 AS timestamptz)
                   + (l.link / :voters) * interval '2 days' + (k % 36000) * interval '1 second',
               CASE WHEN k % 25 = 0 THEN 'HEAD' ELSE 'GET' END,
               CASE WHEN k % 5 = 0 THEN 'Slackbot-LinkExpanding 1.0'
                    ELSE 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1'
               END,
               k % 5 <> 0 AND k % 25 <> 0,
               CASE WHEN k % 25 = 0 THEN 'head_request' WHEN k % 5 = 0
                    THEN 'link_preview:slack' ELSE 'person' END
        FROM generate_series(1, :clicks) AS k,
             LATERAL (SELECT (hashint8(k) & 2147483647) % (:waves * :voters) + 1 AS raw) AS r,
             LATERAL (SELECT CASE WHEN ((r.raw - 1) % :voters + 1) % 10 = 0 THEN r.raw + 1
                                  ELSE r.raw END AS link) AS l""",
    "actions": """
        INSERT INTO actions (import_id, source, source_key, source_row, action_type, acted_at,
                             voter_id, link_id, match_rule, raw)
        SELECT 0, 'bench', 'a' || k, k,
               (ARRAY['donation', 'volunteer_signup', 'registered', 'voted'])[1 + k % 4],
               CAST(:t0 AS timestamptz) + (k % 600000) * interval '1 second',
               'V' || v.i, CASE WHEN k % 10 = 0 AND v.i % 10 <> 0 THEN v.i END,
               CASE WHEN k % 10 = 0 AND v.i % 10 <> 0 THEN 'link_code' ELSE 'voter_id' END, '{}'
        FROM generate_series(1, :actions) AS k,
             LATERAL (SELECT (hashint8(k + 7) & 2147483647) % :voters + 1 AS i) AS v""",
}

# Query file -> indexes its plan must use (the per-row lookups; the scans over all sends are
# rightly sequential).
PLAN_CHECKS = {
    "attribution_touches": ["click_events_person_touch", "delivery_statuses_text_touch"],
    "clicks_new": ["clicks_pkey", "click_events_pkey"],
    "clicks_awaiting_delivery": ["click_events_awaiting_delivery"],
}


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    voters = math.ceil(args.sends / WAVES / (1 - 1 / HOLDOUT_EVERY))
    engine = _fresh_database(args.database)
    params = {"voters": voters, "waves": WAVES, "clicks": args.clicks, "actions": args.actions,
              "t0": T0}  # fmt: skip
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}

    for table, statement in GENERATE.items():
        rows[table] = _timed(seconds, f"generate_{table}", lambda s=statement: _execute(
            engine, s, params))  # fmt: skip
        print(f"generated {table}: {rows[table]:,} rows in {seconds[f'generate_{table}']:.1f}s")
    _timed(seconds, "analyze", lambda: _autocommit(engine, "VACUUM ANALYZE"))

    report = _timed(seconds, "ingest_clicks", lambda: ingest_clicks(
        engine, layer="congressional", too_soon_seconds=5.0, batch_rows=250_000))  # fmt: skip
    rows["click_events"] = report.ingested
    rows["delivery_statuses"] = _timed(
        seconds, "delivery_statuses", lambda: build_delivery_statuses(engine)
    )
    _autocommit(engine, "ANALYZE click_events; ANALYZE delivery_statuses")
    built = build_attribution(
        engine, window_hours=72.0, layer="congressional", cost_per_segment=0.0083,
        seconds=seconds,
    )  # fmt: skip
    rows.update(built)
    counts = _timed(seconds, "holdout_counts", lambda: holdout_counts(
        engine, layer="congressional", outcome_hours=14 * 24.0))  # fmt: skip
    table = _timed(seconds, "lift_table", lambda: lift_table(
        counts.drop(columns=["outcome_from", "outcome_to"])))  # fmt: skip
    rows["holdout_lift"] = len(table)

    build_steps = [
        "ingest_clicks",
        "delivery_statuses",
        "attribution_touches",
        "attribution_funnel",
        "attribution_actions",
        "holdout_counts",
        "lift_table",
    ]
    for step in build_steps:
        print(f"{step:>22}: {seconds[step]:8.2f} s")
    plans = check_plans(engine)
    for name, used in plans.items():
        print(f"plan {name}: " + ", ".join(f"{i} {'used' if ok else 'NOT USED'}"
                                           for i, ok in used.items()))  # fmt: skip
    overall = table[table["district_id"] == "(all)"]
    figures = {
        "sends": int(_scalar(engine, "SELECT count(*) FROM sends")),
        "clicks": args.clicks,
        "actions": args.actions,
        "voters": voters,
        "cpus": os.cpu_count(),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "build_seconds": round(sum(seconds[s] for s in build_steps), 2),
        "rows": {k: int(v) for k, v in rows.items()},
        "people_clicks_in_funnel_equal_clicks": _scalar(
            engine,
            "SELECT (SELECT sum(clicks_by_people) FROM attribution_funnel)"
            " = (SELECT count(*) FROM click_events WHERE is_human)",
        ),
        "indexes_used": plans,
        "overall_lift_points": {
            f"{r.wave_id}/{r.action_type}": round(r.abs_lift * 100, 3) for r in overall.itertuples()
        },
    }
    print(json.dumps(figures))
    if not all(ok for used in plans.values() for ok in used.values()):
        sys.exit(1)


def check_plans(engine: Engine) -> dict[str, dict[str, bool]]:
    """Which of the expected indexes each query's plan uses."""
    params = {
        "attribution_touches": {"window_hours": 72.0, "layer": "congressional"},
        # A sensor tick's run: a few thousand clicks above the cursor.
        "clicks_new": {
            "after_id": _scalar(engine, "SELECT max(click_id) - 5000 FROM clicks"),
            "layer": "congressional",
            "batch_rows": 250_000,
        },
        "clicks_awaiting_delivery": {},
    }
    found = {}
    with engine.connect() as conn:
        for name, indexes in PLAN_CHECKS.items():
            query = (SQL / f"{name}.sql").read_text()
            plan = "\n".join(conn.execute(text("EXPLAIN " + query), params[name]).scalars())
            found[name] = {index: index in plan for index in indexes}
        conn.rollback()
    return found


def _fresh_database(name: str) -> Engine:
    url = database_url(name)
    target = make_url(url)
    admin = libpq_url(target.set(database="postgres").render_as_string(hide_password=False))
    engine_for(url).dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(target.database)))  # fmt: skip
    url = database_url(name)
    migrate.upgrade(url)
    return engine_for(url)


def _execute(engine: Engine, statement: str, params: dict) -> int:
    with engine.begin() as conn:
        used = {k: v for k, v in params.items() if f":{k}" in statement}
        return conn.execute(text(statement), used).rowcount


def _autocommit(engine: Engine, statement: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for part in statement.split(";"):
            conn.execute(text(part))


def _scalar(engine: Engine, statement: str):
    with engine.connect() as conn:
        return conn.execute(text(statement)).scalar_one()


def _timed(seconds: dict[str, float], name: str, work: Callable):
    started = time.perf_counter()
    result = work()
    seconds[name] = time.perf_counter() - started
    return result


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=10_000_000)
    parser.add_argument("--clicks", type=int, default=2_000_000)
    parser.add_argument("--actions", type=int, default=500_000)
    parser.add_argument("--database", default="bench_attribution")
    args = parser.parse_args(argv)
    if min(args.sends, args.clicks, args.actions) < 1:
        parser.error("--sends, --clicks and --actions must be positive")
    return args


if __name__ == "__main__":
    main()
