"""Actions: donations, volunteer sign-ups, registrations and votes, each matched to a voter.

Files are dropped into the actions folder (``<state>/actions`` unless configured), one
sub-folder per kind: ``donations/`` (ActBlue CSV), ``signups/`` (Mobilize CSV), ``turnout/``
(NC ``ncvhis``) and ``voter_file/`` (a later voter-file snapshot). Each file is imported once.
"""

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from sqlalchemy import Engine, text

from campaign_pipelines import paths
from campaign_pipelines.assets._checks import OWNERS, plain_result
from campaign_pipelines.attribution import importers
from campaign_pipelines.attribution.matching import VoterDirectory, match_actions
from campaign_pipelines.attribution.store import (
    ImportOutcome,
    already_imported,
    sha256_of,
    store_import,
)
from campaign_pipelines.config import CampaignConfig
from campaign_pipelines.resources import CampaignConfigResource, PostgresResource
from campaign_pipelines.voterfile.normalise import normalise
from campaign_pipelines.voterfile.read import VoterFileError, open_voter_file

MIN_MATCH_RATE = 0.5
FOLDERS = {"donations": "actblue", "signups": "mobilize", "turnout": "ncvhis",
           "voter_file": "voter_file"}  # fmt: skip

ACTION_CHECKS = [
    AssetCheckSpec("action_rows_are_all_accounted_for", asset="actions", blocking=True,
                   description="For every imported file: rows read = matched + unmatched + "
                   "quarantined."),
    AssetCheckSpec("most_actions_match_a_voter", asset="actions",
                   description=f"At least {MIN_MATCH_RATE:.0%} of the actions imported in a run "
                   "are matched to a voter or a link."),
]  # fmt: skip


class ActionsConfig(Config):
    folder: str | None = None
    # Elections before this date (ISO) are not the campaign's; default: the first wave's window.
    turnout_since: str | None = None


@asset(
    deps=["voters", "links"],
    group_name="attribution",
    owners=OWNERS,
    kinds={"postgres", "pandas"},
    check_specs=ACTION_CHECKS,
    tags={"pii": "true"},
)
def actions(
    context: AssetExecutionContext,
    config: ActionsConfig,
    postgres: PostgresResource,
    campaign: CampaignConfigResource,
) -> MaterializeResult:
    """What voters did: donations (ActBlue exports), volunteer sign-ups (Mobilize exports), new
    registrations and address changes (a later voter file against the loaded one) and votes
    cast (the state's voter history). Each is matched to a voter by voter id, the link code it
    came through, phone, or name and ZIP, with the rule recorded; actions that match nobody are
    kept with the reason, and unreadable rows are quarantined with theirs."""
    campaign_config = campaign.load()
    engine = postgres.engine()
    folder = Path(config.folder) if config.folder else paths.state_dir() / "actions"
    files = [(source, p) for sub, source in FOLDERS.items() for p in _files(folder / sub)]
    context.log.info("actions: %d files in %s", len(files), folder.name)

    directory = _directory(engine)
    outcomes: list[ImportOutcome] = []
    for source, path in files:
        digest = sha256_of(path)
        if already_imported(engine, source, digest):
            continue
        try:
            parsed = _parse(source, path, engine, campaign, campaign_config, config)
        except (importers.ActionFileError, VoterFileError) as e:
            raise Failure(description=str(e)) from e
        matched = match_actions(parsed.actions, directory)
        outcomes.append(
            store_import(engine, source=source, path=path, sha256=digest, parsed=parsed,
                         matched=matched)
        )  # fmt: skip

    context.log.info(
        "actions: %d files imported, %d rows matched, %d unmatched, %d quarantined",
        len(outcomes), sum(o.matched for o in outcomes), sum(o.unmatched for o in outcomes),
        sum(o.quarantined for o in outcomes),
    )  # fmt: skip
    if not outcomes:
        context.log.warning("no new action files")
    return MaterializeResult(
        metadata=_metadata(engine, outcomes), check_results=_checks(engine, outcomes)
    )


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _directory(engine: Engine) -> VoterDirectory:
    with engine.connect() as conn:
        voters = pd.read_sql(
            text("SELECT voter_id, phone_e164, first_name, last_name, zip_code FROM voters"), conn
        )
        links = pd.read_sql(text("SELECT code, link_id, voter_id FROM links"), conn)
    return VoterDirectory.build(voters, links)


def _parse(source, path, engine, campaign, campaign_config: CampaignConfig, config):
    tz = campaign_config.campaign.timezone
    if source == "actblue":
        return importers.read_actblue(path, tz=tz)
    if source == "mobilize":
        return importers.read_mobilize(path, tz=tz)
    if source == "ncvhis":
        return importers.read_ncvhis(path, tz=tz, since=_turnout_since(campaign_config, config))
    return _registration_changes(path, engine, campaign, campaign_config)


def _turnout_since(campaign_config: CampaignConfig, config: ActionsConfig) -> datetime | None:
    if config.turnout_since:
        return datetime.fromisoformat(config.turnout_since).replace(tzinfo=UTC)
    opens = [w.window.opens_at for w in campaign_config.messaging.waves]
    return min(opens) if opens else None


def _registration_changes(path: Path, engine: Engine, campaign, campaign_config):
    cfg = campaign_config.voter_file
    fmt, records = open_voter_file(path, encoding=cfg.encoding, delimiter=cfg.delimiter)
    later = normalise(records, fmt, cfg, str(path))
    with engine.connect() as conn:
        earlier = pd.read_sql(
            text("SELECT voter_id, status, address, zip_code, registration_date FROM voters"), conn
        )
    parsed = importers.registration_changes(
        earlier,
        later.voters,
        snapshot_at=_snapshot_time(path),
        tz=campaign_config.campaign.timezone,
    )
    quarantined = [
        {"source_row": int(q.source_row), "field": q.field, "reason": q.reason,
         "detail": q.detail, "raw": q.raw}
        for q in later.quarantine.itertuples()
    ]  # fmt: skip
    parsed.quarantine.extend(quarantined)
    parsed.rows_read += len(quarantined)
    return parsed


def _snapshot_time(path: Path) -> datetime:
    """The snapshot's date from its name (``..._20261025`` or ``2026-10-25``), else its mtime."""
    if match := re.search(r"(20\d{2})-?(\d{2})-?(\d{2})", path.name):
        return datetime(*(int(g) for g in match.groups()), 12, tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _metadata(engine: Engine, outcomes: list[ImportOutcome]) -> dict:
    with engine.connect() as conn:
        by_rule = pd.read_sql(
            text("SELECT action_type, match_rule, count(*) AS actions FROM actions"
                 " GROUP BY 1, 2 ORDER BY 1, 3 DESC"), conn,
        )  # fmt: skip
        reasons = pd.read_sql(
            text("SELECT unmatched_reason AS reason, count(*) AS actions FROM actions"
                 " WHERE unmatched_reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10"), conn,
        )  # fmt: skip
    runs = pd.DataFrame([o.__dict__ for o in outcomes]).drop(columns=["by_rule"], errors="ignore")
    return {
        "dagster/row_count": MetadataValue.int(int(by_rule["actions"].sum())),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn("action_id", "bigint"),
                    TableColumn("action_type", "text"),
                    TableColumn("acted_at", "timestamptz"),
                    TableColumn("amount", "numeric"),
                    TableColumn("voter_id", "text"),
                    TableColumn("link_id", "bigint", description="from a refcode / link code"),
                    TableColumn(
                        "match_rule",
                        "text",
                        description="voter_id | link_code | phone | name_zip | unmatched",
                    ),
                    TableColumn("unmatched_reason", "text"),
                ]
            )
        ),
        "files_imported": MetadataValue.md(runs.to_markdown(index=False) if len(runs) else "none"),
        "by_type_and_rule": MetadataValue.md(
            by_rule.to_markdown(index=False) if len(by_rule) else "no actions"
        ),
        "top_unmatched_reasons": MetadataValue.md(
            reasons.to_markdown(index=False) if len(reasons) else "none"
        ),
    }


def _checks(engine: Engine, outcomes: list[ImportOutcome]) -> list:
    with engine.connect() as conn:
        broken = conn.execute(
            text("SELECT i.import_id FROM action_imports AS i WHERE i.rows_read <>"
                 " (SELECT count(*) FROM actions a WHERE a.import_id = i.import_id)"
                 " + (SELECT count(*) FROM action_quarantine q WHERE q.import_id = i.import_id)"
                 " ORDER BY 1 LIMIT 5")
        ).scalars().all()  # fmt: skip
    stored = sum(o.matched + o.unmatched for o in outcomes)
    matched = sum(o.matched for o in outcomes)
    rate = matched / stored if stored else 1.0
    return [
        plain_result(
            "action_rows_are_all_accounted_for",
            not broken,
            f"{len(broken)} imported files whose rows read differ from actions + quarantined",
            metadata={"sample_ids": MetadataValue.json([int(b) for b in broken])},
        ),
        plain_result(
            "most_actions_match_a_voter",
            rate >= MIN_MATCH_RATE,
            f"{rate:.2%} of {stored:,} actions imported this run matched a voter or link "
            f"(threshold {MIN_MATCH_RATE:.0%})",
            severity=AssetCheckSeverity.WARN,
            metadata={
                "by_rule": MetadataValue.json(
                    {
                        k: sum(o.by_rule.get(k, 0) for o in outcomes)
                        for k in ("voter_id", "link_code", "phone", "name_zip", "unmatched")
                    }
                )
            },
        ),
    ]
