"""What the demo prints: counts read straight from the warehouse, so they can be checked."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from campaign_pipelines.attribution.export import lift_summary
from campaign_pipelines.config import load_config
from campaign_pipelines.messaging.outcome import wave_forecast, wave_outcome


def print_forecast(engine: Engine, wave_id: str, console: Console) -> None:
    config = load_config()
    with engine.connect() as conn:
        forecast = wave_forecast(conn, config, config.messaging.wave(wave_id))
    console.print(
        f"[bold]Forecast for {wave_id}[/] (before any text is sent): {forecast.describe()}"
    )


def print_summary(engine: Engine, wave_id: str, console: Console) -> None:
    _voters(engine, console)
    _districts(engine, console)
    _links(engine, wave_id, console)
    _wave(engine, wave_id, console)
    _clicks_and_actions(engine, wave_id, console)
    _lift(engine, wave_id, console)


def _query(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def _table(title: str, columns: list[str], rows) -> Table:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    return table


def _voters(engine: Engine, console: Console) -> None:
    load = _query(
        engine,
        "SELECT load_id, rows_read, rows_accepted, rows_quarantined FROM voter_file_loads"
        " ORDER BY load_id DESC LIMIT 1",
    )[0]
    reasons = _query(
        engine,
        "SELECT reason, count(*) FROM voter_quarantine WHERE load_id = :load"
        " GROUP BY reason ORDER BY count(*) DESC",
        load=load.load_id,
    )
    rows = [("rows read", load.rows_read), ("accepted", load.rows_accepted),
            ("quarantined", load.rows_quarantined)]  # fmt: skip
    rows += [(f"  {reason}", n) for reason, n in reasons]
    console.print(_table("Voter file", ["", "rows"], rows))


def _districts(engine: Engine, console: Console) -> None:
    rows = _query(
        engine,
        "SELECT layer, (SELECT count(*) FROM district_layers l WHERE l.layer = a.layer),"
        " count(*) FILTER (WHERE method = 'spatial'),"
        " count(*) FILTER (WHERE method = 'voter_file'),"
        " count(*) FILTER (WHERE method = 'none'), avg(agrees::int), count(agrees)"
        " FROM district_assignments a GROUP BY layer ORDER BY layer",
    )
    shown = [
        (r[0], r[1], r[2], r[3], r[4], "-" if r[5] is None else f"{r[5]:.2%} ({r[6]:,})")
        for r in rows
    ]
    columns = ["layer", "districts", "spatial", "file fallback", "none", "agreement"]
    console.print(_table("District assignments", columns, shown))


def _links(engine: Engine, wave_id: str, console: Console) -> None:
    rows = _query(
        engine,
        "SELECT l.route, coalesce(r.rule, '(shared)'), count(*),"
        " count(*) FILTER (WHERE r.is_fallback), count(DISTINCT l.destination_key)"
        " FROM links l LEFT JOIN voter_routes r ON r.voter_id = l.voter_id AND r.route = l.route"
        " WHERE l.wave_id = :w GROUP BY 1, 2 ORDER BY 1, 2",
        w=wave_id,
    )
    columns = ["route", "rule", "links", "fallbacks", "destinations"]
    console.print(_table(f"Links minted for {wave_id}", columns, rows))


def _wave(engine: Engine, wave_id: str, console: Console) -> None:
    with engine.connect() as conn:
        outcome = wave_outcome(conn, wave_id)
    delivered = _query(
        engine,
        "SELECT m.status, count(*) FROM sends s JOIN message_statuses m USING (message_sid)"
        " WHERE s.wave_id = :w GROUP BY 1 ORDER BY 2 DESC",
        w=wave_id,
    )
    rows = [("sent", outcome.sent), ("segments sent", outcome.segments_sent),
            ("deferred to texting hours", outcome.deferred)]  # fmt: skip
    rows += [(f"failed: {k}", v) for k, v in sorted(outcome.failed.items())]
    rows += [(f"skipped: {k}", v) for k, v in sorted(outcome.skipped.items())]
    rows += [(f"not texted: {k}", v) for k, v in sorted(outcome.excluded.items())]
    rows += [(f"delivery report: {status}", n) for status, n in delivered]
    console.print(_table(f"Wave {wave_id}", ["", "voters"], rows))


def _clicks_and_actions(engine: Engine, wave_id: str, console: Console) -> None:
    clicks = _query(
        engine,
        "SELECT CASE WHEN is_human THEN 'people' ELSE 'machines' END, reason, count(*)"
        " FROM clicks GROUP BY 1, 2 ORDER BY 1 DESC, 3 DESC",
    )
    console.print(_table("Clicks on the link server", ["who", "reason", "clicks"], clicks))
    actions = _query(
        engine,
        "SELECT action_type, count(*), count(voter_id) FROM actions GROUP BY 1 ORDER BY 1",
    )
    console.print(_table("Actions imported", ["action", "rows", "matched to a voter"], actions))


def _lift(engine: Engine, wave_id: str, console: Console) -> None:
    lift: pd.DataFrame = lift_summary(engine, wave_id)
    if lift.empty:
        console.print("[yellow]No lift table: nothing to compare yet.[/]")
        return
    rows = [
        (
            r.action_type, r.district_id, r.texted, r.holdout, f"{r.texted_rate:.2%}",
            f"{r.holdout_rate:.2%}",
            _points(r.abs_lift, r.abs_lift_low, r.abs_lift_high),
        )
        for r in lift.itertuples()
        if r.action_type in ("donation", "voted")
    ]  # fmt: skip
    columns = ["action", "district", "texted", "holdout", "texted rate", "holdout rate",
               "lift (95% interval)"]  # fmt: skip
    console.print(_table(f"Lift of {wave_id} over the randomised holdout", columns, rows))


def _points(lift: float, low: float, high: float) -> str:
    return f"{lift * 100:+.2f} pts [{low * 100:+.2f}, {high * 100:+.2f}]"
