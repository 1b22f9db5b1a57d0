"""Attribution: which message, in which district, drove action, and how much more than no text."""

import time
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sqlalchemy import Engine, text

from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.assets._schema import column_schema
from campaign_pipelines.attribution import charts
from campaign_pipelines.attribution.export import export_tables, reports_dir
from campaign_pipelines.attribution.incrementality import (
    CONFIDENCE,
    OVERALL,
    lift_table,
    sample_ratio_p_value,
)
from campaign_pipelines.db.copy import copy_dataframe
from campaign_pipelines.db.schema import attribution_funnel as attribution_funnel_table
from campaign_pipelines.db.schema import holdout_lift as holdout_lift_table
from campaign_pipelines.db.schema.attribution import ACTION_TYPES
from campaign_pipelines.db.session import transaction
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource

SQL = Path(__file__).parent
STEPS = ("attribution_touches", "attribution_funnel", "attribution_actions")
MIN_SAMPLE_RATIO_P = 0.001  # below this the holdout share is too far off to be chance

ATTRIBUTION_CHECKS = [
    AssetCheckSpec("every_person_click_lands_in_one_row", asset="attribution",
                   description="Clicks by people in the funnel table add up exactly to the "
                   "clicks table's people clicks: none lost, none counted twice."),
    AssetCheckSpec("every_attributed_action_counted_once", asset="attribution",
                   description="Per attribution model, actions in the summary equal the actions "
                   "with a touch."),
]  # fmt: skip
LIFT_CHECKS = [
    AssetCheckSpec("holdout_share_is_as_configured", asset="holdout_lift",
                   description="In every wave the holdout's share of eligible voters is within "
                   "chance of the configured fraction (binomial test, p >= 0.001)."),
]  # fmt: skip


class AttributionConfig(Config):
    window_hours: float = 72.0
    district_layer: str = "congressional"


class HoldoutLiftConfig(Config):
    district_layer: str = "congressional"
    # Actions count from the wave's first text until this many hours later, in both arms.
    outcome_hours: float = 14 * 24.0
    confidence: float = CONFIDENCE


@asset(
    deps=["clicks", "delivery_statuses", "actions", "district_assignments", "wave_sends"],
    group_name="attribution",
    owners=OWNERS,
    kinds={"postgres"},
    check_specs=ATTRIBUTION_CHECKS,
)
def attribution(
    context: AssetExecutionContext,
    config: AttributionConfig,
    postgres: PostgresResource,
    campaign: CampaignConfigResource,
) -> MaterializeResult:
    """Per wave, message variant, route and district: texts sent and delivered, what they cost,
    clicks by people and by machines, how many people clicked, and the actions each message is
    credited with by last touch and by first touch (the link a donation came through, a
    person's click, or a delivered text, within the attribution window before the action),
    with action rates and cost per action. Credit is not proof of effect: see holdout_lift."""
    engine = postgres.engine()
    cost = campaign.load().messaging.cost_per_segment_usd
    context.log.info("building attribution (window %sh, layer %s)", config.window_hours,
                     config.district_layer)  # fmt: skip

    counts = build_attribution(
        engine, window_hours=config.window_hours, layer=config.district_layer,
        cost_per_segment=cost,
    )  # fmt: skip
    folder = reports_dir()
    pictures = _attribution_charts(engine, folder)
    exported = export_tables(engine, [
        "click_events", "delivery_statuses", "actions", "action_quarantine", "action_touches",
        "attribution_funnel", "attribution_actions",
    ], folder)  # fmt: skip

    context.log.info("attribution: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return MaterializeResult(
        metadata={
            **_attribution_metadata(engine, counts, pictures, exported),
            "dagster/column_schema": column_schema(attribution_funnel_table),
        },
        check_results=_attribution_checks(engine),
    )


def build_attribution(
    engine: Engine,
    *,
    window_hours: float,
    layer: str,
    cost_per_segment: float,
    seconds: dict[str, float] | None = None,
) -> dict[str, int]:
    """Rebuild action_touches, attribution_funnel and attribution_actions in one transaction;
    rows written per step (and, into ``seconds`` when given, the wall time of each)."""
    params = {"window_hours": window_hours, "layer": layer, "cost_per_segment": cost_per_segment}
    counts = {}
    with transaction(engine) as conn:
        conn.execute(text("TRUNCATE attribution_actions, attribution_funnel, action_touches"))
        for step in STEPS:
            started = time.perf_counter()
            statement = text((SQL / f"{step}.sql").read_text())
            used = {k: v for k, v in params.items() if f":{k}" in statement.text}
            counts[step] = conn.execute(statement, used).rowcount
            if seconds is not None:
                seconds[step] = time.perf_counter() - started
    return counts


def _attribution_charts(engine: Engine, folder: Path) -> dict[str, Path]:
    with engine.connect() as conn:
        stages = pd.read_sql(text(
            "SELECT f.wave_id, sum(f.sent) AS sent, sum(f.delivered) AS delivered,"
            " sum(f.people_who_clicked) AS clicked,"
            " (SELECT count(DISTINCT a.voter_id) FROM action_touches AS t"
            "  JOIN actions AS a ON a.action_id = t.action_id"
            "  WHERE t.model = 'last_touch' AND t.wave_id = f.wave_id) AS acted"
            " FROM attribution_funnel AS f WHERE f.wave_id <> '(shared)'"
            " GROUP BY f.wave_id ORDER BY f.wave_id"), conn)  # fmt: skip
        hours = pd.read_sql(text(
            "SELECT date_trunc('hour', clicked_at) AS hour,"
            " count(*) FILTER (WHERE is_human) AS people,"
            " count(*) FILTER (WHERE NOT is_human) AS machines"
            " FROM click_events GROUP BY 1 ORDER BY 1"), conn)  # fmt: skip
    pictures = {}
    for row in stages.itertuples():
        frame = pd.DataFrame({
            "stage": ["sent", "delivered", "clicked", "acted"],
            "voters": [row.sent, row.delivered, row.clicked, row.acted],
        })  # fmt: skip
        pictures[f"funnel_{row.wave_id}"] = charts.funnel(
            frame, folder / f"funnel_{row.wave_id}.png",
            title=f"{row.wave_id}: sent to acted (last touch)",
        )  # fmt: skip
    if len(hours):
        pictures["clicks_by_hour"] = charts.clicks_by_hour(
            hours, folder / "clicks_by_hour.png", title="Clicks by hour: people and machines"
        )
    return pictures


def _attribution_metadata(engine, counts, pictures, exported) -> dict:
    with engine.connect() as conn:
        by_wave = pd.read_sql(text(
            "SELECT wave_id, variant, route, sum(sent) AS sent, sum(delivered) AS delivered,"
            " sum(clicks_by_people) AS people_clicks, sum(clicks_by_machines) AS machine_clicks,"
            " sum(people_who_clicked) AS people_who_clicked, sum(cost_usd) AS cost_usd"
            " FROM attribution_funnel GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"), conn)  # fmt: skip
        credited = pd.read_sql(text(
            "SELECT wave_id, model, action_type, sum(actions) AS actions,"
            " sum(amount_usd) AS amount_usd FROM attribution_actions"
            " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"), conn)  # fmt: skip
    metadata = {
        "dagster/row_count": MetadataValue.int(counts.get("attribution_funnel", 0)),
        "funnel_by_wave_variant_route": MetadataValue.md(_md(by_wave)),
        "actions_credited": MetadataValue.md(_md(credited)),
        "touches": MetadataValue.int(counts.get("attribution_touches", 0)),
        "reports_folder": MetadataValue.path(str(reports_dir())),
        "csv_exports": MetadataValue.json({k: str(v) for k, v in exported.items()}),
    }
    for name, path in pictures.items():
        metadata[f"{name}_png"] = MetadataValue.path(str(path))
        metadata[f"{name}_chart"] = MetadataValue.md(charts.markdown_image(path, alt=name))
    return metadata


def _attribution_checks(engine: Engine) -> list:
    with engine.connect() as conn:
        clicks_people = conn.execute(
            text("SELECT count(*) FROM click_events WHERE is_human")
        ).scalar_one()
        funnel_people = conn.execute(
            text("SELECT coalesce(sum(clicks_by_people), 0) FROM attribution_funnel")
        ).scalar_one()
        models = conn.execute(text(
            "SELECT t.model, t.touches, coalesce(s.actions, 0) FROM"
            " (SELECT model, count(*) AS touches FROM action_touches GROUP BY model) AS t"
            " LEFT JOIN (SELECT model, sum(actions) AS actions FROM attribution_actions"
            " GROUP BY model) AS s USING (model)")).all()  # fmt: skip
    off = [f"{m}: {t:,} touches vs {a:,} counted" for m, t, a in models if t != a]
    return [
        plain_result(
            "every_person_click_lands_in_one_row",
            int(clicks_people) == int(funnel_people),
            f"{int(funnel_people):,} people clicks in the funnel for {int(clicks_people):,} in "
            "the clicks table",
        ),
        plain_result(
            "every_attributed_action_counted_once",
            not off,
            "; ".join(off)
            or "; ".join(f"{m}: {t:,} actions" for m, t, _ in models)
            or "no attributed actions",
        ),
    ]


@asset(
    deps=["actions", "delivery_statuses", "district_assignments", "wave_audience", "wave_sends"],
    group_name="attribution",
    owners=OWNERS,
    kinds={"postgres", "scipy"},
    check_specs=LIFT_CHECKS,
)
def holdout_lift(
    context: AssetExecutionContext,
    config: HoldoutLiftConfig,
    postgres: PostgresResource,
    campaign: CampaignConfigResource,
) -> MaterializeResult:
    """The headline: for each wave and action, the action rate of voters the wave texted against
    the randomised holdout nobody texted, and the difference (absolute lift, in points) and
    ratio (relative lift) with 95% confidence intervals, overall and district by district, plus
    the extra actions the wave caused and their cost. Clicks never stand in for this number."""
    engine = postgres.engine()
    messaging = campaign.load().messaging
    context.log.info("measuring lift against the holdout (layer %s, outcome window %sh)",
                     config.district_layer, config.outcome_hours)  # fmt: skip

    counts = holdout_counts(engine, layer=config.district_layer, outcome_hours=config.outcome_hours)
    table = lift_table(counts.drop(columns=["outcome_from", "outcome_to"]),
                       confidence=config.confidence)  # fmt: skip
    table = _with_costs(engine, table, counts, messaging.cost_per_segment_usd)
    store_lift(engine, table)
    folder = reports_dir()
    pictures = _lift_charts(table, folder)
    exported = export_tables(engine, ["holdout_lift"], folder)

    overall = table[table["district_id"] == OVERALL]
    context.log.info("holdout lift: %d waves x action types, %d rows", len(overall), len(table))
    if overall.empty:
        context.log.warning("no wave has both texted and holdout voters yet")
    fractions = {w.id: w.holdout_fraction for w in messaging.waves}
    return MaterializeResult(
        metadata={
            **_lift_metadata(table, pictures, exported),
            "dagster/column_schema": column_schema(holdout_lift_table),
        },
        check_results=[_sample_ratio_check(counts, fractions)],
    )


def holdout_counts(engine: Engine, *, layer: str, outcome_hours: float) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            text((SQL / "holdout_counts.sql").read_text()),
            conn,
            params={"layer": layer, "outcome_hours": outcome_hours,
                    "action_types": list(ACTION_TYPES)},
        )  # fmt: skip


def store_lift(engine: Engine, table: pd.DataFrame) -> None:
    columns = [c.name for c in holdout_lift_table.columns]
    with transaction(engine) as conn:
        conn.execute(text("DELETE FROM holdout_lift"))
        copy_dataframe(conn, "holdout_lift", table[[c for c in columns if c in table]])


def _with_costs(engine, table, counts, cost_per_segment) -> pd.DataFrame:
    with engine.connect() as conn:
        spend = pd.read_sql(
            text("SELECT wave_id, sum(segments) * CAST(:cost AS float8) AS cost_usd FROM sends"
                 " WHERE message_sid IS NOT NULL GROUP BY wave_id"),
            conn, params={"cost": cost_per_segment},
        )  # fmt: skip
    windows = counts.groupby("wave_id")[["outcome_from", "outcome_to"]].first().reset_index()
    table = table.merge(windows, on="wave_id", how="left").merge(spend, on="wave_id", how="left")
    extra = table["incremental_actions"].where(table["incremental_actions"] > 0)
    overall = table["district_id"] == OVERALL
    table["cost_per_incremental_action"] = (table["cost_usd"] / extra).where(overall)
    return table.drop(columns=["cost_usd"])


def _lift_charts(table: pd.DataFrame, folder: Path) -> dict[str, Path]:
    pictures = {}
    for (wave_id, action_type), group in table.groupby(["wave_id", "action_type"]):
        estimated = group.dropna(subset=["abs_lift"])
        if estimated.empty or estimated[["texted_acted", "holdout_acted"]].to_numpy().sum() == 0:
            continue
        pictures[f"lift_{wave_id}_{action_type}"] = charts.lift_by_district(
            estimated,
            folder / f"lift_{wave_id}_{action_type}.png",
            title=f"{wave_id}: {action_type.replace('_', ' ')} lift by district",
        )
    return pictures


def _lift_metadata(table: pd.DataFrame, pictures: dict[str, Path], exported) -> dict:
    overall = table[table["district_id"] == OVERALL]
    shown = overall.assign(
        texted_rate=overall["texted_rate"].map("{:.2%}".format),
        holdout_rate=overall["holdout_rate"].map("{:.2%}".format),
        lift_points=[_interval(r.abs_lift, r.abs_lift_low, r.abs_lift_high, 100, "")
                     for r in overall.itertuples()],
        relative_lift=[_interval(r.rel_lift, r.rel_lift_low, r.rel_lift_high, 100, "%")
                       for r in overall.itertuples()],
    )[["wave_id", "action_type", "texted", "holdout", "texted_rate", "holdout_rate",
       "lift_points", "relative_lift", "incremental_actions"]]  # fmt: skip
    metadata = {
        "dagster/row_count": MetadataValue.int(len(table)),
        "headline_lift": MetadataValue.md(_md(shown)),
        "lift_overall": MetadataValue.json(
            overall[["wave_id", "action_type", "abs_lift", "abs_lift_low", "abs_lift_high"]]
            .round(6)
            .to_dict("records")
        ),
        "method": MetadataValue.text(
            "district: Newcombe hybrid score interval (difference), log-adjusted risk ratio "
            "(relative); overall: stratified by district, weighted by texted voters, normal "
            "approximation"
        ),
        "csv_exports": MetadataValue.json({k: str(v) for k, v in exported.items()}),
    }
    for name, path in pictures.items():
        metadata[f"{name}_png"] = MetadataValue.path(str(path))
        metadata[f"{name}_chart"] = MetadataValue.md(charts.markdown_image(path, alt=name))
    return metadata


def _sample_ratio_check(counts: pd.DataFrame, fractions: dict[str, float]):
    arms = (
        counts.drop_duplicates(["wave_id", "district_id"])
        .groupby("wave_id")[["texted", "holdout"]]
        .sum()
    )
    results = {
        wave: sample_ratio_p_value(int(r.texted), int(r.holdout), fractions[wave])
        for wave, r in arms.iterrows()
        if wave in fractions
    }
    off = {w: p for w, p in results.items() if p < MIN_SAMPLE_RATIO_P}
    return plain_result(
        "holdout_share_is_as_configured",
        not off,
        "; ".join(f"wave {w}: p = {p:.3g}" for w, p in results.items())
        or "no configured wave has an audience yet",
        severity=AssetCheckSeverity.WARN,
        metadata={"p_values": MetadataValue.json({w: round(p, 6) for w, p in results.items()})},
    )


def _interval(value, low, high, scale: float, unit: str) -> str:
    if pd.isna(value):
        return "-"
    return f"{value * scale:+.2f}{unit} [{low * scale:+.2f}, {high * scale:+.2f}]"


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False) if len(frame) else "none yet"
