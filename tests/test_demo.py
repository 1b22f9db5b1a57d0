"""`make demo` end to end (smaller): its printed totals agree with the database."""

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import text


@pytest.mark.slow
def test_demo_prints_totals_that_match_the_database(engine, database_url, tmp_path):
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_STATE_DIR": str(tmp_path / "state"),
        "DEMO_VOTERS": "1500",
        "COLUMNS": "120",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.cli.main", "demo"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = completed.stdout
    assert completed.returncode == 0, out[-3000:] + completed.stderr[-3000:]

    def printed(label: str) -> int:
        match = re.search(rf"│ {label}\s+│ ([\d,]+)", out)
        assert match, f"{label!r} not in the summary"
        return int(match.group(1).replace(",", ""))

    with engine.connect() as conn:
        load = conn.execute(text("SELECT * FROM voter_file_loads")).one()
        spatial = conn.execute(
            text("SELECT count(*) FROM district_assignments WHERE layer = 'congressional'"
                 " AND method = 'spatial'")
        ).scalar()  # fmt: skip
    assert printed("rows read") == load.rows_read == 1500
    assert printed("accepted") == load.rows_accepted
    assert printed("quarantined") == load.rows_quarantined
    assert re.search(rf"│ congressional\s+│\s+14 │\s+{spatial:,} │", out)
    assert "FAIL" not in out
    assert (tmp_path / "state" / "dagster" / "dagster.yaml").is_file()
