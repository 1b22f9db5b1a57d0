"""`make demo` end to end (smaller): its printed totals agree with the database."""

import os
import re
import subprocess
import sys
from datetime import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from campaign_pipelines.config import load_config
from campaign_pipelines.config.loader import default_config_path
from campaign_pipelines.db.session import engine_for
from campaign_pipelines.demo.run import _write_demo_config
from campaign_pipelines.linkserver.process import free_port


@pytest.mark.slow
def test_demo_prints_totals_that_match_the_database(engine, database_url, tmp_path):
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": database_url,
        "CAMPAIGN_STATE_DIR": str(tmp_path / "state"),
        "DEMO_VOTERS": "1500",
        "DEMO_LINK_PORT": str(free_port()),
        "COLUMNS": "120",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "campaign_pipelines.cli.main", "demo"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = completed.stdout
    assert completed.returncode == 0, out[-3000:] + completed.stderr[-3000:]

    def printed(label: str) -> int:
        match = re.search(rf"│ {label}\s+│\s+([\d,]+) │", out)
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
    assert "Demo succeeded" in out
    with engine.connect() as conn:
        texted_twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT to_phone FROM sends WHERE state = 'sent'"
                " GROUP BY wave_id, to_phone HAVING count(*) > 1) t"
            )
        ).scalar()
        suppressed_texted = conn.execute(
            text(
                "SELECT count(*) FROM sends s JOIN suppressions p ON p.phone_e164 = s.to_phone"
                " WHERE s.state = 'sent' AND p.added_at < s.submitted_at"
            )
        ).scalar()
        sent = conn.execute(text("SELECT count(*) FROM sends WHERE state = 'sent'")).scalar()
        people = conn.execute(text("SELECT count(*) FROM clicks WHERE is_human")).scalar()
    assert texted_twice == 0
    assert suppressed_texted == 0
    assert sent > 0 and re.search(rf"│ sent\s+│\s+{sent:,} │", out)
    assert people > 0 and re.search(rf"│ people\s+│\s+person │\s+{people:,} │", out)
    assert (tmp_path / "state" / "dagster" / "dagster.yaml").is_file()
    qr = tmp_path / "state" / "demo" / "yard-sign-qr.png"
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Dagster's runs live in PostgreSQL (dagster-postgres), beside the warehouse.
    dagster_url = make_url(database_url).set(database=f"{make_url(database_url).database}_dagster")
    with engine_for(dagster_url.render_as_string(hide_password=False)).connect() as conn:
        runs = conn.execute(text("SELECT pipeline_name, status FROM runs")).all()
    assert ("voters_and_districts_job", "SUCCESS") in runs


def test_demo_config_texts_at_any_hour_and_keeps_the_bundled_hours_for_real_waves(
    monkeypatch, tmp_path
):
    # Run at night, the demo used to defer every text to 08:00 and show an empty chain.
    monkeypatch.setenv("CAMPAIGN_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("CAMPAIGN_CONFIG", raising=False)  # the demo sets it to its copy
    source = default_config_path()

    written = _write_demo_config(source, "http://127.0.0.1:8080")

    demo = load_config(written).messaging
    bundled = load_config(source).messaging
    local_times = [time(0), time(3, 30), time(21, 30), time(23, 59, 59)]
    assert all(demo.texting_hours.start <= t < demo.texting_hours.end for t in local_times)
    assert demo.state_texting_hours == {}
    assert (bundled.texting_hours.start, bundled.texting_hours.end) == (time(8), time(21))
