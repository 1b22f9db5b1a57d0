"""The end-to-end demo on the real North Carolina files with synthetic voters.

Steps: start (or reuse) PostgreSQL, write a synthetic voter file over the real districts, run
``voters_and_districts_job`` on a Dagster instance stored in PostgreSQL, and print what happened.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import resolve_path
from campaign_pipelines.dagster_env import prepare_dagster_env
from campaign_pipelines.db.session import engine_for

DEFAULT_VOTERS = 50_000
DEMO_SEED = 2026


@dataclass(frozen=True)
class DemoResult:
    success: bool
    voter_file: Path
    checks_failed: list[str]


def run_demo(*, voters: int | None = None, console: Console | None = None) -> DemoResult:
    console = console or Console()
    voters = voters or int(os.environ.get("DEMO_VOTERS", DEFAULT_VOTERS))
    started = time.monotonic()
    env = prepare_dagster_env()
    config = load_config()
    console.print(f"[bold]Campaign[/] {config.campaign.name} ({config.campaign.id})")

    voter_file = resolve_path(config, config.voter_file.path)
    _ensure_voter_file(voter_file, voters, config, console)

    from dagster import DagsterInstance

    from campaign_pipelines.definitions import defs

    console.print("Running [bold]voters_and_districts_job[/] (Dagster, PostgreSQL storage)…")
    with DagsterInstance.get() as instance:
        result = defs.get_job_def("voters_and_districts_job").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    evaluations = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = sorted(
        f"{ev.asset_key.to_user_string()}.{ev.check_name}" for ev in evaluations if not ev.passed
    )
    _print_summary(engine_for(env["CAMPAIGN_DATABASE_URL"]), evaluations, console)
    elapsed = time.monotonic() - started
    status = "[green]succeeded[/]" if result.success else "[red]failed[/]"
    console.print(f"\nRun {result.run_id} {status} in {elapsed:.1f}s.")
    console.print("See it in the Dagster UI: [bold]make ui[/] then open http://127.0.0.1:3000")
    return DemoResult(result.success and not failed, voter_file, failed)


def _ensure_voter_file(path: Path, voters: int, config, console: Console) -> None:
    marker = path.with_suffix(".json")
    wanted = {"voters": voters, "seed": DEMO_SEED}
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        console.print(f"Reusing synthetic voter file ({voters:,} voters)")
        return
    from campaign_pipelines.voterfile.synth import write_synthetic_voter_file

    console.print(f"Writing a synthetic voter file: {voters:,} voters over the real NC districts…")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_synthetic_voter_file(path, count=voters, seed=DEMO_SEED, config=config)
    marker.write_text(json.dumps(wanted))


def _print_summary(engine, evaluations, console: Console) -> None:
    with engine.connect() as conn:
        load = conn.execute(
            text(
                "SELECT load_id, rows_read, rows_accepted, rows_quarantined FROM voter_file_loads"
                " ORDER BY load_id DESC LIMIT 1"
            )
        ).one()
        reasons = conn.execute(
            text(
                "SELECT reason, count(*) FROM voter_quarantine WHERE load_id = :load"
                " GROUP BY reason ORDER BY count(*) DESC"
            ),
            {"load": load.load_id},
        ).all()
        layers = conn.execute(
            text(
                "SELECT layer, count(*) FILTER (WHERE method = 'spatial') AS spatial,"
                " count(*) FILTER (WHERE method = 'voter_file') AS fallback,"
                " count(*) FILTER (WHERE method = 'none') AS unassigned,"
                " (SELECT count(*) FROM district_layers l WHERE l.layer = a.layer) AS districts,"
                " avg(agrees::int) AS agreement, count(agrees) AS compared"
                " FROM district_assignments a GROUP BY layer ORDER BY layer"
            )
        ).all()

    voters = Table(title="Voter file", show_header=False)
    voters.add_row("rows read", f"{load.rows_read:,}")
    voters.add_row("accepted", f"{load.rows_accepted:,}")
    voters.add_row("quarantined", f"{load.rows_quarantined:,}")
    for reason, n in reasons:
        voters.add_row(f"  {reason}", f"{n:,}")
    console.print(voters)

    table = Table(title="District assignments")
    for column in ("layer", "districts", "spatial", "file fallback", "none", "agreement"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for row in layers:
        agreement = "-" if row.agreement is None else f"{row.agreement:.2%} ({row.compared:,})"
        table.add_row(
            row.layer, str(row.districts), f"{row.spatial:,}", f"{row.fallback:,}",
            f"{row.unassigned:,}", agreement,
        )  # fmt: skip
    console.print(table)

    checks = Table(title="Data-quality checks")
    checks.add_column("check")
    checks.add_column("result")
    for ev in sorted(evaluations, key=lambda e: (e.asset_key.to_user_string(), e.check_name)):
        mark = "[green]pass[/]" if ev.passed else f"[red]FAIL ({ev.severity.value.lower()})[/]"
        checks.add_row(f"{ev.asset_key.to_user_string()}.{ev.check_name}", mark)
    console.print(checks)
