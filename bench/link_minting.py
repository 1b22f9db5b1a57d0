"""Benchmark: mint N links through the ``links`` asset's code path, then COPY the same rows bare.

    python bench/link_minting.py --links 1000000

A fresh database is created on the configured server (``CAMPAIGN_DATABASE_URL``, else the
embedded PostgreSQL) and dropped at the end. The audience is synthetic: N/2 voters x 2 routes,
destinations spread over 3,000 precinct pages. Two ways of writing into the same empty ``links``
table (same indexes and constraints), best of ``--repeat`` interleaved runs:

(a) mint: ``routing.minting.wave_link_rows`` (variants, UTM tags, destination URLs) and
    ``routing.store.write_links`` (look up existing codes, draw new ones, COPY, commit): what
    the asset does once it has read the wave's audience from ``voter_routes``;
(b) copy: the rows (a) wrote, codes included, as tuples through psycopg's ``Copy.write_row``
    into ``links`` and a commit: the floor any writer of these rows pays.

The last line printed is one JSON object; ``ratio_vs_copy`` = (a) rows/s / (b) rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from campaign_pipelines.config.waves import MessageVariant
from campaign_pipelines.db import migrate
from campaign_pipelines.db.server import ensure_database, libpq_url, server_url
from campaign_pipelines.db.session import engine_for, transaction
from campaign_pipelines.routing.minting import LINK_COLUMNS, wave_link_rows
from campaign_pipelines.routing.rules import Route
from campaign_pipelines.routing.store import write_links

WAVE = "bench-wave"
ROUTES = ("polling_place", "candidate")
COPY_COLUMNS = ["code", *LINK_COLUMNS]


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    url = _fresh_database()
    try:
        figures = run(url, links=args.links, repeat=args.repeat)
    finally:
        _drop_database(url)
    print(json.dumps(figures))


def run(url: str, *, links: int, repeat: int) -> dict:
    engine = engine_for(url)
    audience, urls = synthetic_audience(links)
    routes = {
        name: Route(name, (), f"page:{name}:fallback", {"utm_medium": "gotv"}) for name in ROUTES
    }
    variants = [MessageVariant(name="a", template="{link}"), MessageVariant(name="b", template="x")]
    seconds = {"mint": float("inf"), "copy": float("inf")}
    for _ in range(repeat):
        _truncate(url)
        start = time.perf_counter()
        with transaction(engine) as conn:
            rows = wave_link_rows(
                audience, wave_id=WAVE, variants=variants, routes=routes, urls=urls
            )
            stats = write_links(conn, WAVE, rows)
        seconds["mint"] = min(seconds["mint"], time.perf_counter() - start)
        assert stats.minted == links, stats

        written = _read_back(url)
        _truncate(url)
        start = time.perf_counter()
        bare_copy(url, written)
        seconds["copy"] = min(seconds["copy"], time.perf_counter() - start)

    speed = {name: links / s for name, s in seconds.items()}
    for name in seconds:
        print(f"{name:>5}: {seconds[name]:8.2f} s {speed[name]:12,.0f} rows/s")
    return {
        "links": links,
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "rows_per_second": {k: round(v) for k, v in speed.items()},
        "ratio_vs_copy": round(speed["mint"] / speed["copy"], 3),
    }


def synthetic_audience(links: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """``links`` voter-route rows (N/2 voters x 2 routes) and the URLs of their destinations."""
    voters = (links + 1) // 2
    rng = np.random.default_rng(7)
    voter_ids = np.char.add("V", np.arange(voters).astype(str).astype(object).astype(str))
    precinct = rng.integers(0, 3000, voters)
    frames = []
    for route in ROUTES:
        keys = np.char.add(f"page:{route}:p:", precinct.astype(str))
        frames.append(
            pd.DataFrame(
                {
                    "voter_id": voter_ids,
                    "route": route,
                    "destination_key": keys,
                    "rule": "bench",
                    "is_fallback": False,
                    "timezone": "America/New_York",
                    "context": [f'{{"precinct_key": "{p}"}}' for p in precinct],
                }
            )
        )
    audience = pd.concat(frames, ignore_index=True).head(links)
    urls = {
        k: f"https://www.example.org/{k.replace(':', '/')}" for k in audience["destination_key"]
    }
    return audience.sort_values(["voter_id", "route"], ignore_index=True), urls


def bare_copy(url: str, rows: list[tuple]) -> None:
    statement = sql.SQL("COPY links ({}) FROM STDIN").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in COPY_COLUMNS)
    )
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()


def _read_back(url: str) -> list[tuple]:
    query = sql.SQL("SELECT {} FROM links ORDER BY link_id").format(
        sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(c))
            if c in ("utm", "context")
            else sql.Identifier(c)
            for c in COPY_COLUMNS
        )
    )
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(query).fetchall()


def _truncate(url: str) -> None:
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("TRUNCATE links RESTART IDENTITY")


def _fresh_database() -> str:
    name = f"campaign_bench_links_{os.getpid()}_{secrets.token_hex(3)}"
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    migrate.upgrade(url)
    return url


def _drop_database(url: str) -> None:
    engine_for(url).dispose()
    admin = libpq_url(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    name = make_url(url).database
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1_000_000, help="links to mint")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
