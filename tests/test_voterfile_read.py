"""Reading and normalising voter files: each quirk with its right value."""

from pathlib import Path

import pytest

from campaign_pipelines.config import VoterFileConfig
from campaign_pipelines.voterfile.normalise import normalise
from campaign_pipelines.voterfile.read import VoterFileError, open_voter_file

NC = VoterFileConfig(path="unused", format="ncsbe")
HEADER = [
    "county_id", "ncid", "first_name", "last_name", "status_cd", "registr_dt", "zip_code",
    "precinct_abbrv", "full_phone_number", "cong_dist_abbrv", "latitude", "longitude",
]  # fmt: skip


DEFAULTS = {
    "county_id": "1", "ncid": "AA1", "first_name": "José", "last_name": "Peña",
    "status_cd": "A", "registr_dt": "01/15/2020", "zip_code": "02134", "precinct_abbrv": "0007",
    "full_phone_number": "(919) 555-0142", "cong_dist_abbrv": "04", "latitude": "35.78",
    "longitude": "-78.64",
}  # fmt: skip
_SHORT = {
    "ncid": "ncid", "first": "first_name", "last": "last_name", "status": "status_cd",
    "date": "registr_dt", "zip_code": "zip_code", "precinct": "precinct_abbrv",
    "phone": "full_phone_number", "cd": "cong_dist_abbrv", "lat": "latitude",
    "lon": "longitude", "county": "county_id",
}  # fmt: skip


def _row(**changes: str) -> list[str]:
    values = DEFAULTS | {_SHORT[k]: v for k, v in changes.items()}
    return [values[column] for column in HEADER]


def _write(tmp_path: Path, rows, *, encoding="utf-8", delimiter="\t", name="voters.txt") -> Path:
    lines = [delimiter.join(HEADER)] + [delimiter.join(r) for r in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def _read(path: Path, cfg: VoterFileConfig = NC):
    fmt, records = open_voter_file(path)
    return fmt, normalise(records, fmt, cfg, str(path))


def test_read_keeps_leading_zeros_in_zip_and_precinct(tmp_path):
    _, result = _read(_write(tmp_path, [_row()]))
    voter = result.voters.iloc[0]
    assert voter["zip_code"] == "02134"
    assert voter["precinct_code"] == "0007"
    assert voter["precinct_key"] == "001-0007"
    assert voter["county_fips"] == "37001"
    assert voter["congressional_district"] == "4"


@pytest.mark.parametrize(
    "phone", ["(919) 555-0142", "919.555.0142", "+1 919 555 0142", "19195550142"]
)
def test_read_normalises_phone_formats_to_e164(tmp_path, phone):
    _, result = _read(_write(tmp_path, [_row(phone=phone)]))
    assert result.voters["phone_e164"].tolist() == ["+19195550142"]


def test_read_quarantines_eight_digit_phone_with_reason(tmp_path):
    _, result = _read(_write(tmp_path, [_row(), _row(ncid="AA2", phone="91955501")]))
    assert result.voters["voter_id"].tolist() == ["AA1"]
    row = result.quarantine.iloc[0]
    assert (row["source_row"], row["voter_id"], row["field"], row["reason"]) == (
        2, "AA2", "full_phone_number", "invalid_phone",
    )  # fmt: skip
    assert "8 digits" in row["detail"]
    assert "91955501" not in row["detail"]


@pytest.mark.parametrize(
    ("phone", "detail"),
    [
        ("unknown", "not a phone number (no digits a number could be read from)"),
        ("91955501", "not a possible US number (8 digits)"),
        ("+44 20", "not a possible US number (4 digits)"),
        ("+999 123", "not a phone number (invalid country code)"),
        ("+44 20 7946 0958", "a +44 number, outside the US plan (+1)"),  # valid, but British
    ],
)
def test_read_quarantines_unusable_phone_text(tmp_path, phone, detail):
    _, result = _read(_write(tmp_path, [_row(phone=phone)]))
    assert result.voters.empty
    assert result.quarantine["detail"].tolist() == [detail]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "latin-1"])
def test_read_bom_and_latin1_twins_match_utf8(tmp_path, encoding):
    rows = [_row(first="José", last="Peña"), _row(ncid="AA2", first="Zoë", last="Müller")]
    _, utf8 = _read(_write(tmp_path, rows, name="utf8.txt"))
    fmt, twin = _read(_write(tmp_path, rows, encoding=encoding, name=f"{encoding}.txt"))
    assert fmt.encoding in {"utf-8-sig", "cp1252", "latin-1"}
    assert twin.voters["first_name"].tolist() == ["José", "Zoë"]
    assert twin.voters[["first_name", "last_name"]].equals(utf8.voters[["first_name", "last_name"]])


def test_read_quoted_field_with_embedded_newline_is_one_record(tmp_path):
    path = tmp_path / "quoted.txt"
    body = "\t".join(HEADER) + "\n"
    body += "\t".join(_row(first='"Mary\nAnn"')) + "\n"
    body += "\t".join(_row(ncid="AA2", first='"Bob ""Bobby"""')) + "\n"
    path.write_text(body, encoding="utf-8")
    _, result = _read(path)
    assert result.rows_read == 2
    assert result.voters["first_name"].tolist() == ["Mary\nAnn", 'Bob "Bobby"']
    assert result.voters["source_row"].tolist() == [1, 2]


def test_read_a_stray_quote_costs_one_row_not_the_rest_of_the_file(tmp_path):
    rows = [_row(ncid=f"AA{i}") for i in range(1, 22)]
    rows[16] = _row(ncid="AA17", first='"Ann')  # opens a quote that never closes
    _, result = _read(_write(tmp_path, rows))

    assert result.rows_read == 21
    assert len(result.voters) == 20
    (bad,) = result.quarantine.itertuples()
    assert (bad.source_row, bad.source_line, bad.reason) == (17, 18, "malformed_row")
    assert result.voters["voter_id"].tolist()[-4:] == ["AA18", "AA19", "AA20", "AA21"]
    # The rows after it keep their own row and line numbers.
    assert result.voters["source_row"].tolist()[-1] == 21


def test_read_comma_delimited_vendor_file_with_mapping(tmp_path):
    path = tmp_path / "vendor.csv"
    path.write_text(
        'VANID,First,Last,Cell,Zip5,Lat,Lon\n123,"Smith, Jr",Lee,919-555-0101,02134,35.7,-78.6\n',
        encoding="utf-8",
    )
    cfg = VoterFileConfig(
        path="unused",
        format="vendor_csv",
        columns={"voter_id": "VANID", "first_name": "First", "last_name": "Last",
                 "phone": "Cell", "zip_code": "Zip5", "latitude": "Lat", "longitude": "Lon"},
    )  # fmt: skip
    fmt, result = _read(path, cfg)
    assert fmt.delimiter == ","
    voter = result.voters.iloc[0]
    assert (voter["voter_id"], voter["first_name"], voter["phone_e164"], voter["zip_code"]) == (
        "123", "Smith, Jr", "+19195550101", "02134",
    )  # fmt: skip


def test_read_duplicate_ids_keep_active_then_latest_registration(tmp_path):
    rows = [
        _row(ncid="AA1", status="I", date="01/01/2022", county="1"),
        _row(ncid="AA1", status="A", date="01/01/2010", county="2"),
        _row(ncid="AA2", status="A", date="01/01/2010", county="1"),
        _row(ncid="AA2", status="A", date="06/01/2021", county="3"),
    ]
    _, result = _read(_write(tmp_path, rows))
    kept = result.voters.set_index("voter_id")["county_fips"].to_dict()
    assert kept == {"AA1": "37003", "AA2": "37005"}
    details = result.quarantine.sort_values("source_row")["detail"].tolist()
    assert details == [
        "superseded by row 2 of the same voter",
        "superseded by row 4 of the same voter",
    ]


def test_read_accounts_for_every_row(tmp_path):
    rows = [_row(), _row(ncid="AA2", lat="abc"), _row(ncid="", first="x"), _row(ncid="AA4")[:5]]
    _, result = _read(_write(tmp_path, rows))
    assert result.rows_read == 4
    assert len(result.voters) + len(result.quarantine) == 4
    assert result.reasons == {
        "invalid_coordinates": 1, "missing_voter_id": 1, "malformed_row": 1,
    }  # fmt: skip
    malformed = result.quarantine.set_index("reason").loc["malformed_row"]
    assert malformed["detail"] == "5 fields where the header has 12"
    assert malformed["source_line"] == 5


def test_read_voter_without_coordinates_is_accepted(tmp_path):
    _, result = _read(_write(tmp_path, [_row(lat="", lon="")]))
    assert len(result.voters) == 1
    assert result.voters["latitude"].isna().all()


def test_read_non_voter_file_names_missing_columns(tmp_path):
    path = tmp_path / "donations.csv"
    path.write_text("name,amount,date\nA,5,2024-01-01\n", encoding="utf-8")
    with pytest.raises(VoterFileError) as err:
        _read(path)
    message = str(err.value)
    assert str(path) in message
    assert "['ncid', 'first_name', 'last_name']" in message


def test_read_missing_file_is_named(tmp_path):
    with pytest.raises(VoterFileError, match="voter file not found"):
        open_voter_file(tmp_path / "nope.txt")
