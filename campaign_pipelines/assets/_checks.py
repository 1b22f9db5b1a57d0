"""Turn our quality outcomes into Dagster asset check results with rates and samples."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from campaign_pipelines.quality.expectations import Outcome

OWNERS = ["team:campaign-data"]


def check_result(
    name: str,
    outcome: Outcome,
    what: str,
    *,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
    asset_key=None,
) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        asset_key=asset_key,
        passed=outcome.success,
        severity=severity,
        description=outcome.describe(what),
        metadata={
            "rate": MetadataValue.float(round(outcome.rate, 6)),
            "threshold": MetadataValue.float(outcome.threshold),
            "rows_checked": MetadataValue.int(outcome.checked),
            "rows_failing": MetadataValue.int(outcome.unexpected),
            "sample_ids": MetadataValue.json([str(s) for s in outcome.samples]),
        },
    )


def plain_result(
    name: str,
    passed: bool,
    description: str,
    *,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
    metadata: dict | None = None,
) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        passed=passed,
        severity=severity,
        description=description,
        metadata=metadata or {},
    )
