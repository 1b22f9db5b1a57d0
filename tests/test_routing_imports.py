"""Routing and catalog rules test in microseconds because they never import Dagster."""

import subprocess
import sys

MODULES = [
    "campaign_pipelines.routing.resolve", "campaign_pipelines.routing.store",
    "campaign_pipelines.routing.voters", "campaign_pipelines.routing.placements",
    "campaign_pipelines.routing.audience", "campaign_pipelines.routing.qr",
    "campaign_pipelines.catalog.build",
]  # fmt: skip


def test_routing_never_imports_dagster():
    imports = "; ".join(f"import {name}" for name in MODULES)
    check = (
        f"{imports}; import sys; print(sorted(m for m in sys.modules if m.startswith('dagster')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"
