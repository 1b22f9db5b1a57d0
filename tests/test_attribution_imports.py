import subprocess
import sys

MODULES = ["charts", "clicks", "export", "importers", "incrementality", "matching", "simulate",
           "store"]  # fmt: skip


def test_attribution_modules_never_import_dagster():
    # A fresh interpreter: this test session may already have Dagster loaded by other tests.
    imports = "; ".join(f"import campaign_pipelines.attribution.{name}" for name in MODULES)
    check = (
        f"{imports}; import sys; print(sorted(m for m in sys.modules if m.startswith('dagster')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"
