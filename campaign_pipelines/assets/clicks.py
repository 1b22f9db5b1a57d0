"""Clicks: every link-server click joined to its voter, wave, variant, route and district.

Ingestion is incremental and exactly once. Rows are copied by ``click_id`` with an insert that
ignores ids already present, so overlapping or concurrent runs never count a click twice. The
cursor (``click_ingest_state``) must also never skip one: click ids come from a sequence, and a
transaction that took id 104 can commit after one that took 105. So the cursor only moves past
ids whose writers have certainly finished: each run notes the highest id it saw with the
database's next transaction id (``pg_snapshot_xmax``); a later run whose oldest running
transaction (``pg_snapshot_xmin``) is past that mark knows every id up to the noted one is
either visible now or will never exist, and only then advances the watermark to it. Runs hold
the state row's lock, so they take turns.
"""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import Connection, Engine, TextClause, text

from campaign_pipelines.assets._checks import OWNERS, check_result, plain_result
from campaign_pipelines.attribution.clicks import (
    DEFAULT_REPEAT_WINDOW_SECONDS,
    cross_worker_repeats,
    judge_clicks,
)
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.session import transaction
from campaign_pipelines.quality.expectations import gxe, run_expectation
from campaign_pipelines.resources import PostgresResource
from campaign_pipelines.rules.bots import DEFAULT_TOO_SOON_SECONDS

SQL = Path(__file__).parent
MIN_LINKED_RATE = 0.99
EVENT_COLUMNS = [
    "click_id", "link_id", "clicked_at", "method", "wave_id", "voter_id", "variant", "route",
    "channel", "district_id", "message_sid", "delivered_at", "seconds_since_delivery", "is_human",
    "reason", "server_is_human", "server_reason",
]  # fmt: skip

CLICK_CHECKS = [
    AssetCheckSpec("no_click_below_the_cursor_is_missing", asset="clicks",
                   description="Every link-server click at or below the ingest watermark is in "
                   "the clicks table (exactly once: click_id is its key)."),
    AssetCheckSpec("clicks_resolve_to_links", asset="clicks",
                   description=f"At least {MIN_LINKED_RATE:.0%} of the clicks ingested in a run "
                   "belong to a known link (and so to a route)."),
]  # fmt: skip


class ClicksConfig(Config):
    district_layer: str = "congressional"
    too_soon_seconds: float = DEFAULT_TOO_SOON_SECONDS
    # The link server's LINK_REPEAT_WINDOW_SECONDS: repeats are found again across its workers.
    repeat_window_seconds: float = DEFAULT_REPEAT_WINDOW_SECONDS
    batch_rows: int = 250_000


@dataclass
class IngestReport:
    ingested: int
    people: int
    machines: int
    retimed: int
    watermark: int
    reasons: dict[str, int]
    linked: pd.DataFrame  # click_id, route of this run's clicks


@asset(
    deps=["links", "wave_sends"],
    group_name="attribution",
    owners=OWNERS,
    kinds={"postgres"},
    check_specs=CLICK_CHECKS,
)
def clicks(
    context: AssetExecutionContext, config: ClicksConfig, postgres: PostgresResource
) -> MaterializeResult:
    """Every tap on a texted or shared link, with the voter, wave, message variant, route and
    district it belongs to, and whether it was a person or a machine (link previews, scanners,
    HEAD probes, repeats, fetches too soon after the text arrived) with the reason. Attribution
    counts people only; machine clicks are kept so raw counts stay visible."""
    engine = postgres.engine()
    context.log.info("ingesting new clicks (district layer %s)", config.district_layer)

    report = ingest_clicks(
        engine,
        layer=config.district_layer,
        too_soon_seconds=config.too_soon_seconds,
        batch_rows=config.batch_rows,
        repeat_window_seconds=config.repeat_window_seconds,
    )

    context.log.info(
        "clicks: %d ingested (%d people, %d machines), %d re-judged after delivery, watermark %d",
        report.ingested, report.people, report.machines, report.retimed, report.watermark,
    )  # fmt: skip
    if report.ingested == 0:
        context.log.warning("no new clicks since the last run")
    return MaterializeResult(
        metadata=_metadata(engine, report), check_results=_checks(engine, report)
    )


def ingest_clicks(
    engine: Engine,
    *,
    layer: str,
    too_soon_seconds: float,
    batch_rows: int,
    repeat_window_seconds: float = DEFAULT_REPEAT_WINDOW_SECONDS,
) -> IngestReport:
    """Copy new link-server clicks into ``click_events`` and move the cursor (see module doc)."""
    with transaction(engine) as conn:
        xmin_now = conn.execute(
            text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        ).scalar_one()
        conn.execute(
            text("INSERT INTO click_ingest_state (state_id) VALUES (1) ON CONFLICT DO NOTHING")
        )
        state = conn.execute(
            text("SELECT watermark, checkpoint_click_id, checkpoint_xmax FROM click_ingest_state"
                 " WHERE state_id = 1 FOR UPDATE")
        ).one()  # fmt: skip
        cleared = state.checkpoint_xmax is not None and xmin_now >= state.checkpoint_xmax
        conn.execute(
            text(
                "CREATE TEMP TABLE click_batch (LIKE click_events INCLUDING DEFAULTS)"
                " ON COMMIT DROP"
            )
        )

        new = _copy_new(
            conn, state.watermark, layer, too_soon_seconds, batch_rows, repeat_window_seconds
        )
        retimed = _retime(conn, too_soon_seconds)

        newest = conn.execute(text("SELECT coalesce(max(click_id), 0) FROM clicks")).scalar_one()
        xmax_now = conn.execute(
            text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        ).scalar_one()
        watermark = state.checkpoint_click_id if cleared else state.watermark
        keep_old = state.checkpoint_xmax is not None and not cleared
        conn.execute(
            text("UPDATE click_ingest_state SET watermark = :w, checkpoint_click_id = :c,"
                 " checkpoint_xmax = :x, updated_at = now() WHERE state_id = 1"),
            {"w": watermark, "c": state.checkpoint_click_id if keep_old else newest,
             "x": state.checkpoint_xmax if keep_old else xmax_now},
        )  # fmt: skip
    people = int(new["is_human"].sum()) if len(new) else 0
    return IngestReport(
        ingested=len(new),
        people=people,
        machines=len(new) - people,
        retimed=retimed,
        watermark=int(watermark),
        reasons={str(k): int(v) for k, v in new["reason"].value_counts().items()}
        if len(new)
        else {},
        linked=new[["click_id", "route"]]
        if len(new)
        else pd.DataFrame(columns=["click_id", "route"]),
    )


def _copy_new(
    conn: Connection, watermark, layer, too_soon_seconds, batch_rows, repeat_window_seconds
) -> pd.DataFrame:
    query = text((SQL / "clicks_new.sql").read_text())
    earlier_query = text((SQL / "clicks_earlier_people.sql").read_text())
    parts: list[pd.DataFrame] = []
    after = watermark
    while True:
        batch = pd.read_sql(
            query, conn, params={"after_id": after, "layer": layer, "batch_rows": batch_rows}
        )
        if batch.empty:
            break
        earlier = _earlier_people(conn, earlier_query, batch, repeat_window_seconds)
        batch["repeat"] = cross_worker_repeats(batch, earlier, window_seconds=repeat_window_seconds)
        judged = batch.assign(**judge_clicks(batch, too_soon_seconds=too_soon_seconds))
        copy_dataframe(conn, "click_batch", judged[EVENT_COLUMNS])
        inserted = conn.execute(
            text("INSERT INTO click_events SELECT * FROM click_batch"
                 " ON CONFLICT (click_id) DO NOTHING RETURNING click_id")
        ).scalars().all()  # fmt: skip
        conn.execute(text("TRUNCATE click_batch"))
        parts.append(
            judged[judged["click_id"].isin(inserted)][["click_id", "route", "is_human", "reason"]]
        )
        after = int(batch["click_id"].max())
        if len(batch) < batch_rows:
            break
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["click_id", "route", "is_human", "reason"])
    )


def _earlier_people(
    conn: Connection, query: TextClause, batch: pd.DataFrame, window_seconds: float
) -> pd.DataFrame:
    voters = batch.loc[batch["server_is_human"].astype(bool), "voter_id"].dropna().unique()
    if window_seconds <= 0 or len(voters) == 0:
        return pd.DataFrame(columns=["link_id", "ip_hash", "user_agent", "clicked_at"])
    since = batch["clicked_at"].min() - pd.Timedelta(seconds=window_seconds)
    params = {"voters": voters.tolist(), "since": since.to_pydatetime()}
    return pd.read_sql(query, conn, params=params)


def _retime(conn: Connection, too_soon_seconds: float) -> int:
    waiting = pd.read_sql(text((SQL / "clicks_awaiting_delivery.sql").read_text()), conn)
    if waiting.empty:
        return 0
    judged = waiting.assign(**judge_clicks(waiting, too_soon_seconds=too_soon_seconds))
    columns = ["click_id", "delivered_at", "seconds_since_delivery", "is_human", "reason"]
    conn.execute(text("CREATE TEMP TABLE click_retime (click_id bigint, delivered_at timestamptz,"
                      " seconds_since_delivery float8, is_human boolean, reason text)"
                      " ON COMMIT DROP"))  # fmt: skip
    copy_dataframe(conn, "click_retime", judged[columns])
    conn.execute(
        text("UPDATE click_events AS e SET delivered_at = r.delivered_at,"
             " seconds_since_delivery = r.seconds_since_delivery, is_human = r.is_human,"
             " reason = r.reason FROM click_retime AS r WHERE e.click_id = r.click_id")
    )  # fmt: skip
    return len(judged)


def _metadata(engine: Engine, report: IngestReport) -> dict:
    with engine.connect() as conn:
        totals = pd.read_sql(
            text("SELECT reason, is_human, count(*) AS clicks FROM click_events"
                 " GROUP BY reason, is_human ORDER BY count(*) DESC"), conn,
        )  # fmt: skip
    people = int(totals.loc[totals["is_human"], "clicks"].sum())
    return {
        "dagster/row_count": MetadataValue.int(int(totals["clicks"].sum())),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(c) for c in EVENT_COLUMNS])
        ),
        "ingested_this_run": MetadataValue.int(report.ingested),
        "people_this_run": MetadataValue.int(report.people),
        "machines_this_run": MetadataValue.int(report.machines),
        "rejudged_after_delivery": MetadataValue.int(report.retimed),
        "watermark_click_id": MetadataValue.int(report.watermark),
        "clicks_by_people": MetadataValue.int(people),
        "clicks_by_machines": MetadataValue.int(int(totals["clicks"].sum()) - people),
        "by_reason": MetadataValue.md(
            totals.to_markdown(index=False) if len(totals) else "no clicks yet"
        ),
    }


def _checks(engine: Engine, report: IngestReport) -> list:
    with engine.connect() as conn:
        missing = conn.execute(
            text("SELECT c.click_id FROM clicks AS c WHERE c.click_id <= :w AND NOT EXISTS"
                 " (SELECT 1 FROM click_events AS e WHERE e.click_id = c.click_id)"
                 " ORDER BY c.click_id LIMIT 5"),
            {"w": report.watermark},
        ).scalars().all()  # fmt: skip
    return [
        plain_result(
            "no_click_below_the_cursor_is_missing",
            not missing,
            f"{len(missing)} link-server clicks at or below click_id {report.watermark:,} are "
            "missing from the clicks table",
            metadata={"sample_ids": MetadataValue.json([int(m) for m in missing])},
        ),
        check_result(
            "clicks_resolve_to_links",
            run_expectation(
                report.linked.reset_index(drop=True),
                gxe.ExpectColumnValuesToNotBeNull(column="route", mostly=MIN_LINKED_RATE),
                id_column="click_id",
            ),
            "clicks of this run that belong to a known link",
            severity=AssetCheckSeverity.WARN,
        ),
    ]
