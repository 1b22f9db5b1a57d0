import pkgutil
import subprocess
import sys

import campaign_pipelines.messaging as messaging

MODULES = sorted(m.name for m in pkgutil.iter_modules(messaging.__path__))


def test_messaging_never_imports_dagster():
    # A fresh interpreter: this test session may already have Dagster loaded by other tests.
    imports = "; ".join(f"import campaign_pipelines.messaging.{name}" for name in MODULES)
    check = (
        f"{imports}; import sys; print(sorted(m for m in sys.modules if m.startswith('dagster')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )

    assert len(MODULES) > 10
    assert result.stdout.strip() == "[]"
