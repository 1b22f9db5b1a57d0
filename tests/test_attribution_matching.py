import pandas as pd
import pytest

from campaign_pipelines.attribution.matching import (
    VoterDirectory,
    match_actions,
    normalise_name,
    normalise_zip,
)

VOTERS = pd.DataFrame(
    [
        ("V1", "+19195550101", "María", "O'Brien-Smith", "27601"),
        ("V2", "+19195550202", "Pat", "Doe", "27605"),
        ("V3", "+19195550303", "Sam", "Lee", "27701"),  # V3 and V4 share a household phone
        ("V4", "+19195550303", "Kim", "Lee", "27701"),
        ("V5", None, "Alex", "Ray", "28202"),
        ("V6", None, "Alex", "Ray", "28202"),  # same name and ZIP as V5
    ],
    columns=["voter_id", "phone_e164", "first_name", "last_name", "zip_code"],
)
LINKS = pd.DataFrame({"code": ["Ab3dE5gH9", "QR0000001"], "link_id": [11, 12],
                      "voter_id": ["V1", None]})  # fmt: skip
DIRECTORY = VoterDirectory.build(VOTERS, LINKS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("María", "maria"), ("O'Brien-Smith Jr.", "obriensmith"), ("  DE LA CRUZ III ", "delacruz"),
     ("", None), (None, None), ("Jr.", None)],
)  # fmt: skip
def test_matching_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("27601", "27601"), ("27601-1234", "27601"), ("276011234", "27601"), (" 27601 ", "27601"),
     ("2134", "02134"), ("2134.0", "02134"), ("27601.0", "27601"), ("ABCDE", None), ("", None)],
)  # fmt: skip
def test_matching_normalise_zip(raw, expected):
    assert normalise_zip(raw) == expected


def _match(**row):
    return match_actions(pd.DataFrame([row]), DIRECTORY).iloc[0]


def test_matching_link_code_beats_a_phone_of_another_voter():
    got = _match(refcode="Ab3dE5gH9", phone_raw="(919) 555-0202")
    assert (got.voter_id, got.link_id, got.match_rule) == ("V1", 11, "link_code")


def test_matching_refcode_2_and_shared_link_set_the_link_without_a_voter():
    got = _match(refcode="sms", refcode_2="QR0000001", first_name="Pat", last_name="Doe",
                 zip_raw="27605-0001")  # fmt: skip
    assert (got.voter_id, got.link_id, got.refcode, got.match_rule) == (
        "V2", 12, "QR0000001", "name_zip",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("row", "voter", "rule"),
    [
        ({"voter_id_raw": " v2 "}, "V2", "voter_id"),
        ({"phone_raw": "919.555.0202"}, "V2", "phone"),
        ({"phone_raw": "+1 919 555 0303", "first_name": "Kim", "last_name": "LEE",
          "zip_raw": "27701"}, "V4", "name_zip"),
        ({"first_name": "maria", "last_name": "OBrien Smith", "zip_raw": "27601-9999"}, "V1",
         "name_zip"),
    ],
)  # fmt: skip
def test_matching_rules_in_order(row, voter, rule):
    got = _match(**row)
    assert (got.voter_id, got.match_rule, got.unmatched_reason) == (voter, rule, None)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"voter_id_raw": "NOPE"}, "voter id not in the voter file"),
        ({"phone_raw": "+1 919 555 0303"}, "2 voters share this phone"),
        ({"first_name": "Alex", "last_name": "Ray", "zip_raw": "28202"},
         "2 voters share this name and ZIP"),
        ({"phone_raw": "9195559999", "first_name": "No", "last_name": "One", "zip_raw": "27601"},
         "no voter has this phone; no voter with this name and ZIP"),
        ({"refcode": "unknown"}, "no voter id, known link code, phone, or name and ZIP"),
    ],
)  # fmt: skip
def test_matching_unmatched_keeps_the_reason(row, reason):
    got = _match(**row)
    assert (got.voter_id, got.match_rule, got.unmatched_reason) == (None, "unmatched", reason)
