import subprocess
import sys

RULE_MODULES = ["bots", "optout", "quiet_hours", "sms_segments"]


def test_rules_never_import_dagster():
    # A fresh interpreter: this test session may already have Dagster loaded by other tests.
    imports = "; ".join(f"import campaign_pipelines.rules.{name}" for name in RULE_MODULES)
    check = (
        f"{imports}; import sys; print(sorted(m for m in sys.modules if m.startswith('dagster')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"
