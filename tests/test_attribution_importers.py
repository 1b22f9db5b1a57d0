from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from campaign_pipelines.attribution.importers import (
    ActionFileError,
    read_actblue,
    read_mobilize,
    read_ncvhis,
    registration_changes,
)

TZ = "America/New_York"


def _write(path, text):
    path.write_text(text)
    return path


def test_importers_actblue_parses_and_quarantines_with_reasons(tmp_path):
    path = _write(tmp_path / "ab.csv", (
        "Receipt ID,Date,Amount,Donor First Name,Donor Last Name,Donor ZIP,Donor Phone,"
        "Reference Code,Reference Code 2\n"
        "AB1,2026-10-30 12:00:00,\"$1,000.00\",Pat,Doe,02134,(919) 555-0101,Ab3dE5gH9,\n"
        "AB2,2026-10-30 12:05:00,-25.00,Pat,Doe,27601,,,\n"
        "AB3,yesterday,25,Pat,Doe,27601,,,\n"
        "AB1,2026-10-30 12:00:00,1000,Pat,Doe,02134,,,\n"
    ))  # fmt: skip

    parsed = read_actblue(path, tz=TZ)

    first = parsed.actions.iloc[0]
    assert len(parsed.actions) == 1 and parsed.rows_read == 4
    assert first.amount == Decimal("1000.00")
    assert first.acted_at == pd.Timestamp("2026-10-30 16:00", tz="UTC")  # EDT is UTC-4
    assert (first.zip_raw, first.refcode) == ("02134", "Ab3dE5gH9")
    assert [(q["source_row"], q["reason"]) for q in parsed.quarantine] == [
        (2, "not_a_donation"), (3, "invalid_date"), (4, "duplicate_row"),
    ]  # fmt: skip


def test_importers_actblue_names_missing_columns(tmp_path):
    path = _write(tmp_path / "ab.csv", "Receipt,When\n1,2\n")
    with pytest.raises(ActionFileError, match=r"ab.csv: not a actblue export: .*'receipt id'"):
        read_actblue(path, tz=TZ)


def test_importers_mobilize_accepts_api_field_names_and_epoch_times(tmp_path):
    path = _write(tmp_path / "m.csv", (
        "id,created_date,given_name,family_name,email_address,phone_number,postal_code,status\n"
        "9001,1793376000,Sam,Lee,s@example.org,9195550303,27701,CONFIRMED\n"
        "9002,2026-10-30T09:00:00,Kim,Lee,k@example.org,,27701,CANCELLED\n"
    ))  # fmt: skip

    parsed = read_mobilize(path, tz=TZ)

    assert parsed.actions[["source_key", "first_name", "zip_raw"]].values.tolist() == [
        ["9001", "Sam", "27701"]
    ]
    assert parsed.actions.iloc[0].acted_at == pd.Timestamp(1793376000, unit="s", tz="UTC")
    assert [q["reason"] for q in parsed.quarantine] == ["cancelled"]


def test_importers_ncvhis_keeps_the_election_and_skips_older_ones(tmp_path):
    path = _write(tmp_path / "ncvhis.txt", (
        '"county_id"\t"voter_reg_num"\t"election_lbl"\t"election_desc"\t"voting_method"\t"ncid"\n'
        '"92"\t"000012"\t"11/03/2026"\t"11/03/2026 GENERAL"\t"ABSENTEE ONESTOP"\t"AB123"\n'
        '"92"\t"000012"\t"11/08/2022"\t"11/08/2022 GENERAL"\t"IN-PERSON"\t"AB123"\n'
    ))  # fmt: skip

    parsed = read_ncvhis(path, tz=TZ, since=datetime(2026, 1, 1, tzinfo=UTC))

    vote = parsed.actions.iloc[0]
    assert (vote.source_key, vote.voter_id_raw, vote.action_type) == (
        "AB123:11/03/2026", "AB123", "voted",
    )  # fmt: skip
    assert vote.acted_at == pd.Timestamp("2026-11-03 17:00", tz="UTC")  # noon EST
    assert [q["reason"] for q in parsed.quarantine] == ["election_out_of_scope"]


def test_importers_registration_changes_ignore_reformatted_zip():
    columns = ["voter_id", "status", "address", "zip_code", "registration_date"]
    earlier = pd.DataFrame([
        ("A", "A", "1 Main St", "27601", None),
        ("B", "A", "2 Oak Ave", "27601", None),
        ("C", "R", "3 Elm St", "27601", None),
    ], columns=columns)  # fmt: skip
    later = pd.DataFrame([
        ("A", "A", "1  MAIN ST.", "27601-1234", None),  # same place, written differently
        ("B", "A", "9 Pine Rd", "27605", None),
        ("C", "A", "3 Elm St", "27601", None),
        ("D", "A", "4 Ash Ln", "27601", "2026-10-28"),
    ], columns=columns)  # fmt: skip

    parsed = registration_changes(
        earlier, later, snapshot_at=datetime(2026, 11, 1, 12, tzinfo=UTC), tz=TZ
    )

    got = sorted(zip(parsed.actions["voter_id_raw"], parsed.actions["action_type"], strict=True))
    assert got == [("B", "address_updated"), ("C", "registered"), ("D", "registered")]
    new = parsed.actions.set_index("voter_id_raw").loc["D"]
    assert new.acted_at == pd.Timestamp("2026-10-28 16:00", tz="UTC")


def test_importers_time_in_the_repeated_hour_is_kept(tmp_path):
    # 01:30 on 1 November 2026 happens twice in New York; the row is kept, not lost.
    path = _write(tmp_path / "m.csv", "id,created_date\n1,2026-11-01 01:30:00\n")

    parsed = read_mobilize(path, tz=TZ)

    assert parsed.actions.iloc[0].acted_at == pd.Timestamp("2026-11-01 05:30", tz="UTC")
